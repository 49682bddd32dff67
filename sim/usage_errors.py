"""typer's own usage errors (an unknown option or command, a missing or malformed value) as
the one line every other bad input gets: `<command>: <option>: <problem>; <what is allowed>`.

typer (0.29) prints these in a multi-line box with the usage above it; `cli.main` runs the
app with `standalone_mode=False` and hands each usage error here instead. typer vendors
click as `typer._click`, so the exception classes come from there.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Sequence
from types import NoneType
from typing import Any

from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoSuchOption,
    UsageError,
)

from sim.errors import ConfigError, shown

_NO_SUCH_COMMAND = re.compile(r"No such command (['\"])(.*?)\1")  # typer's words, a repr
_KINDS = {int: "a whole number", float: "a number"}


def one_line(exc: UsageError, root: Any, argv: Sequence[str]) -> str:
    """The error line (without the `error: ` prefix) for one of typer's usage errors.

    `root` is the app's click group and `argv` its arguments: typer's parser raises some
    errors (an option's missing value) without saying which command it was parsing.
    """
    path, command = ((exc.ctx.command_path, exc.cmd) if exc.ctx is not None
                     else _command_in(root, argv))
    try:
        field, problem = _field_and_problem(exc, command, path)
    except Exception:  # typer's internals moved: its own words, still one line
        field, problem = "usage", exc.format_message()
    return ConfigError(field, problem, source=path).one_line()


def _field_and_problem(exc: UsageError, command: Any, path: str) -> tuple[str, str]:
    if isinstance(exc, NoSuchOption):
        return exc.option_name, f"no such option; {_allowed_options(command, exc.option_name)}"
    if isinstance(exc, MissingParameter):
        return _name(exc.param), f"is required ({_describe(exc.param)})"
    if isinstance(exc, BadParameter):
        return _name(exc.param), _bad_value(exc)
    if isinstance(exc, BadOptionUsage):
        param = _param_of(command, exc.option_name)
        if param is not None and param.is_flag:
            return exc.option_name, "is a flag and takes no value"
        return exc.option_name, f"needs a value ({_describe(param)})"
    commands = _subcommands(command)
    typo = _NO_SUCH_COMMAND.match(exc.message)
    if commands and typo:
        allowed = _choose(typo[2], commands, "commands")
        return "COMMAND", f"no such command {shown(typo[2])}; {allowed}"
    message = exc.message.rstrip(".")
    return "usage", f"{message[:1].lower()}{message[1:]}; see '{path} --help'"


def _command_in(root: Any, argv: Sequence[str]) -> tuple[str, Any]:
    """The (sub)command `argv` names, and its path: `sim scenarios show`."""
    path, command = ["sim"], root
    for token in argv:
        sub = getattr(command, "commands", {}).get(token)
        if sub is None:
            break
        path.append(token)
        command = sub
    return " ".join(path), command


def _bad_value(exc: BadParameter) -> str:
    """`'x' is not a whole number`, `must be from 0 to 65,535, got 70,000`, ..."""
    param = exc.param
    errors = getattr(exc.__cause__, "errors", None)  # pydantic's, where typer validated
    if not callable(errors) or not errors():
        return exc.message
    error = errors()[0]
    value = error.get("input")
    kind = _KINDS.get(_annotation(param))
    if kind is not None and error.get("type", "").endswith("_parsing"):
        return f"{shown(value)} is not {kind}"
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None or high is not None:  # the same words as sim.options.check_range
        bounds = (f"from {low:,} to {high:,}" if low is not None and high is not None
                  else f"at least {low:,}" if low is not None else f"at most {high:,}")
        return f"must be {bounds}, got {_number(value)}"
    return f"{shown(value)}: {error.get('msg', exc.message)}"


def _number(value: object) -> str:
    try:
        return f"{int(str(value)):,}"
    except ValueError:
        return shown(value)


def _describe(param: Any) -> str:
    """What the parameter takes: its help text, or its kind."""
    if param is None:
        return "see --help"
    help_text = getattr(param, "help", None)
    kind = _KINDS.get(_annotation(param))
    return help_text or kind or "see --help"


def _allowed_options(command: Any, typo: str) -> str:
    options = sorted({opt for param in getattr(command, "params", ())
                      for opt in (*param.opts, *param.secondary_opts) if opt.startswith("-")}
                     | {"--help"})
    return _choose(typo, options, "options")


def _choose(typo: str, allowed: list[str], what: str) -> str:
    """`did you mean X?` for a near miss, else the whole (short) list."""
    bare = {name.lstrip("-"): name for name in allowed}  # `--` alone would look alike
    close = difflib.get_close_matches(typo.lstrip("-"), list(bare), n=3, cutoff=0.6)
    if close:
        return f"did you mean {' or '.join(bare[name] for name in close)}?"
    return f"{what}: {', '.join(allowed)}"


def _subcommands(command: Any) -> list[str]:
    commands = getattr(command, "commands", None)
    return sorted(name for name, cmd in commands.items() if not cmd.hidden) if commands else []


def _param_of(command: Any, option: str) -> Any:
    return next((param for param in getattr(command, "params", ())
                 if option in (*param.opts, *param.secondary_opts)), None)


def _name(param: Any) -> str:
    if param is None:
        return "value"
    if param.param_type_name == "argument":
        return str(param.metavar or param.name.upper())
    return str(max(param.opts, key=len))


def _annotation(param: Any) -> Any:
    """int for `int` and `int | None`; None where the kind has no short name."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    kinds = [arg for arg in typing.get_args(annotation) if arg is not NoneType]
    return kinds[0] if len(kinds) == 1 else annotation
