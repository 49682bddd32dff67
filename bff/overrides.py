"""Overriding any knob of a PolicySet: `--set inventory.retry.max_attempts=2`, or a TOML
policy file whose tables mirror the same paths. Every bad key or value is one ConfigError
naming the path and what is allowed."""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bff.policies.breaker_config import (
    BreakerConfig,
    describe_window,
    is_timed,
    window_size_setting,
)
from bff.policyset import PolicySet, preset
from sim.durations import parse_duration
from sim.errors import ConfigError, as_float, shown
from sim.plan import read_toml

# The float settings that are durations: they need a unit ("250ms") and are at most a day.
DURATION_SETTINGS = frozenset({
    "deadline", "catalogue_wait", "inventory_wait", "timeout", "base", "cap",
    "min_useful_attempt", "slow_call_duration", "open_duration", "max_open_duration",
    "window", "max_age", "delay", "fallback_delay"})


def parse_assignment(text: str) -> tuple[str, Any]:
    """"a.b=2" -> ("a.b", 2); the value is read as TOML, else kept as a string ("250ms")."""
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise ConfigError("--set", f"expected PATH=VALUE such as "
                                   f"inventory.retry.max_attempts=2, got {text!r}")
    raw = raw.strip()
    try:
        value: Any = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return path.strip(), value


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def load_policy_file(path: Path) -> tuple[str | None, dict[str, Any]]:
    """A policy file: optional `preset = "..."` plus tables of overrides."""
    data = read_toml(path)
    name = data.pop("preset", None)
    if name is not None and not isinstance(name, str):
        raise ConfigError("preset", "expected a preset name", source=str(path))
    return name, flatten(data)


def build_policy(name: str, overrides: Mapping[str, Any], source: str | None = None) -> PolicySet:
    try:
        return build_policy_from(preset(name), overrides)
    except ConfigError as exc:
        raise exc.within(source=source) from None


def _set(obj: Any, keys: list[str], value: Any, path: str) -> Any:
    hints = typing.get_type_hints(type(obj))
    names = [f.name for f in dataclasses.fields(obj)]
    key = keys[0]
    if key not in names:
        where = path.rsplit(".", len(keys))[0] if len(keys) < len(path.split(".")) else ""
        field = f"{where}.{key}" if where else key
        raise ConfigError(field, f"unknown setting; allowed: {', '.join(names)}")
    current = getattr(obj, key)
    hint = hints[key]
    if len(keys) > 1:
        nested_type = _dataclass_in(hint)
        if nested_type is None:
            raise ConfigError(path, f"{key} has no sub-settings")
        base = current if current is not None else nested_type()
        new = _set(base, keys[1:], value, path)
    elif isinstance(obj, BreakerConfig) and key == "window_size":  # its unit: by the type
        new = window_size_setting(value, obj.window_type, path)
    else:
        new = _convert(value, hint, current, path)
    try:
        return dataclasses.replace(obj, **{key: new})
    except ConfigError as exc:
        raise ConfigError(path, exc.problem) from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(path, str(exc)) from None


def _dataclass_in(hint: Any) -> type[Any] | None:
    for option in _options(hint):
        if dataclasses.is_dataclass(option) and isinstance(option, type):
            return option
    return None


def _options(hint: Any) -> tuple[Any, ...]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return (hint,)


def _convert(value: Any, hint: Any, current: Any, path: str) -> Any:
    options = _options(hint)
    switched_off = value is None or (isinstance(value, str) and
                                     value.lower() in ("none", "off", "null"))
    if switched_off and type(None) in options:
        return None
    if _dataclass_in(hint) is not None:
        raise ConfigError(path, "is a table of settings; set its fields, e.g. "
                                f"{path}.<field>=..., or 'none' to switch it off")
    if float in options and path.rsplit(".", 1)[-1] in DURATION_SETTINGS:
        return parse_duration(value, path)
    if float in options and isinstance(value, str):
        raise ConfigError(path, f"expected a number, got {shown(value)}")
    if float in options and isinstance(value, int) and not isinstance(value, bool):
        number = as_float(value)
        if number != number:
            raise ConfigError(path, f"expected a number, got {shown(value)}")
        return number
    if any(typing.get_origin(o) is tuple for o in options) and isinstance(value, list):
        return tuple(value)
    if bool in options and not isinstance(value, bool):
        raise ConfigError(path, f"expected true or false, got {shown(value)}")
    if int in options and float not in options and (
            isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(path, f"expected an integer, got {shown(value)}")
    del current
    return value


def resolve_policy(policy: str, assignments: list[str] | None = None) -> PolicySet:
    """`--policy NAME|FILE.toml` plus `--set PATH=VALUE` (applied last, in order)."""
    overrides: dict[str, Any] = {}
    source: str | None = None
    name = policy
    if policy.endswith(".toml") or "/" in policy:
        path = Path(policy)
        file_preset, overrides = load_policy_file(path)
        name, source = file_preset or "resilient", str(path)
    policy_set = build_policy(name, overrides, source)
    cli = dict(parse_assignment(text) for text in assignments or [])
    return build_policy_from(policy_set, cli, "--set")


def build_policy_from(policy: PolicySet, overrides: Mapping[str, Any],
                      prefix: str | None = None) -> PolicySet:
    try:
        for path, value in _window_types_first(overrides):
            before, policy = policy, _set(policy, path.split("."), value, path)
            if path.endswith(_TYPE) and path.removesuffix(_TYPE) + _SIZE not in overrides:
                _check_same_window_kind(before, policy, path)
    except ConfigError as exc:
        raise ConfigError(f"{prefix} {exc.field}" if prefix else exc.field, exc.problem,
                          source=exc.source) from None
    return policy


_TYPE, _SIZE = ".breaker.window_type", ".breaker.window_size"


def _window_types_first(overrides: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The overrides in order, except that a breaker's window_type moves up to just before
    its window_size: the size's unit (calls or a duration) depends on the type."""
    items = list(overrides.items())
    for index, (path, _) in enumerate(list(items)):
        if path.endswith(_SIZE):
            type_path = path.removesuffix(_SIZE) + _TYPE
            later = next((i for i in range(index + 1, len(items)) if items[i][0] == type_path),
                         None)
            if later is not None:
                items.insert(index, items.pop(later))
    return items


def _check_same_window_kind(before: PolicySet, after: PolicySet, path: str) -> None:
    """A count window's 100 calls must not silently become 100 s (or 5 s become 5 calls)."""
    service = path.split(".", 1)[0]
    old = before.downstream(service).breaker or BreakerConfig()
    new = after.downstream(service).breaker
    if new is not None and is_timed(old.window_type) != is_timed(new.window_type):
        wanted = 'a duration such as "10s"' if is_timed(new.window_type) else \
            "a whole number of calls"
        raise ConfigError(path, f"a {new.window_type!r} window needs window_size set as well, "
                                f"to {wanted} (it was a {describe_window(old)})")
