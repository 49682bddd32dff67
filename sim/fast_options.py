"""Parse a typer command's options without typer's runtime, for a fast start.

typer (0.29) builds a pydantic TypeAdapter for every option on every run: about 0.15 s
of CPU, a third of `sim serve`'s start-up (issue 13). Options of the plain kinds (str,
int, float, Path, `--x/--no-x` flags, repeatable str) are parsed here. Anything else
(--help, an unknown or abbreviated flag, an out-of-range or odd-looking value, a kind
this module does not know) gives None, and typer parses and reports as usual: every
message a user sees stays typer's.
"""

from __future__ import annotations

import inspect
import os
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Any

# typer features this parser does not reproduce: a command using them goes to typer.
_UNSUPPORTED = ("callback", "parser", "click_type", "count", "prompt", "is_eager",
                "flag_value", "clamp", "is_flag", "autocompletion", "shell_complete")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)")


@dataclass(frozen=True)
class _Option:
    name: str  # the command function's parameter
    kind: type  # str, int, float, Path, bool, or list (of str)
    info: Any  # typer's OptionInfo


def _plain_kind(annotation: Any) -> type | None:
    args = typing.get_args(annotation)
    if isinstance(annotation, UnionType) and len(args) == 2 and NoneType in args:
        annotation = args[0] if args[1] is NoneType else args[1]
    if annotation in (str, int, float, Path, bool):
        return typing.cast(type, annotation)
    if typing.get_origin(annotation) is list and typing.get_args(annotation) == (str,):
        return list
    return None


def _options(command: Callable[..., Any]) -> dict[str, _Option] | None:
    """Flag -> option, or None if any parameter is not a plain typer option."""
    flags: dict[str, _Option] = {}
    for name, hint in typing.get_type_hints(command, include_extras=True).items():
        if name == "return":
            continue
        base, *meta = typing.get_args(hint) or (hint,)
        info: Any = meta[0] if meta else None
        kind = _plain_kind(base)
        if (kind is None or type(info).__name__ != "OptionInfo"
                or any(getattr(info, attr, None) for attr in _UNSUPPORTED)
                or (info.envvar and kind in (bool, list))):
            return None
        option = _Option(name, kind, info)
        # In Annotated, typer reads Option's first positional argument as a flag.
        first = (info.default,) if info.default is not ... else ()
        decls = (*first, *(info.param_decls or ()))
        if kind is bool:
            if decls:
                return None
            decls = (f"--{name.replace('_', '-')}", f"--no-{name.replace('_', '-')}")
        elif not decls:
            decls = (f"--{name.replace('_', '-')}",)
        for flag in decls:
            if "/" in flag or not flag.startswith("-"):
                return None
            flags[flag] = option
    return flags


def _convert(option: _Option, text: str) -> Any:
    """The value typer would give, or None to let typer decide (and explain)."""
    if option.kind is int:
        if not _INTEGER.fullmatch(text):
            return None
        value: Any = int(text)
        low, high = option.info.min, option.info.max
        if (low is not None and value < low) or (high is not None and value > high):
            return None
        return value
    if option.kind is float:
        return float(text) if _DECIMAL.fullmatch(text) else None
    return Path(text) if option.kind is Path else text


def parse_options(command: Callable[..., Any], argv: Sequence[str]) -> dict[str, Any] | None:
    """`command`'s keyword arguments from `argv`, or None: typer must parse this one."""
    flags = _options(command)
    if flags is None:
        return None
    given: dict[str, Any] = {}
    tokens = list(argv)
    while tokens:
        flag, has_value, value = tokens.pop(0).partition("=")
        option = flags.get(flag)
        if option is None:
            return None
        if option.kind is bool:
            if has_value:
                return None
            given[option.name] = not flag.startswith("--no-")
            continue
        if not has_value:
            if not tokens or tokens[0].startswith("-"):
                return None  # a missing value, or a negative number: typer's call
            value = tokens.pop(0)
        converted = _convert(option, value) if option.kind is not list else value
        if converted is None:
            return None
        if option.kind is list:
            given.setdefault(option.name, []).append(converted)
        else:
            given[option.name] = converted
    return _with_defaults(command, flags, given)


def _with_defaults(command: Callable[..., Any], flags: dict[str, _Option],
                   given: dict[str, Any]) -> dict[str, Any] | None:
    parameters = inspect.signature(command).parameters
    for option in {option.name: option for option in flags.values()}.values():
        if option.name in given:
            continue
        envvar = option.info.envvar
        if isinstance(envvar, str) and envvar in os.environ and option.kind is not list:
            converted = _convert(option, os.environ[envvar])
            if converted is None:
                return None
            given[option.name] = converted
        elif (parameters[option.name].default is inspect.Parameter.empty
              or type(parameters[option.name].default).__name__ == "OptionInfo"):
            return None  # a required option left out (typer says which), or old-style
        else:
            given[option.name] = parameters[option.name].default
    return given
