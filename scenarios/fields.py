"""Reading typed fields out of TOML/JSON tables, with errors that name the field path.

Shared by the scenario loader; each reader raises `ConfigError(field, problem)` where the
problem says what was expected and what was found.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from sim.durations import parse_duration
from sim.errors import ConfigError, shown

MAX_USERS = 100_000


def read_table(value: object, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(field, f"expected a table, got {shown(value)}")
    return value


def read_text(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(field, f"expected a string, got {shown(value)}")
    return value.strip()


def read_integer(value: object, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field, f"expected an integer from {low} to {high}, got {shown(value)}")
    if not low <= value <= high:
        raise ConfigError(field, f"must be from {low} to {high}, got {shown(value)}")
    return value


def read_rate(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not 0 < value <= MAX_USERS:
        raise ConfigError(field, f"expected users per second, a number > 0 and <= "
                                 f"{MAX_USERS}, got {shown(value)}")
    return float(value)


def check_keys(table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    options = list(allowed)
    for key in table:
        if key not in options:
            field = f"{where}.{key}" if where else str(key)
            raise ConfigError(field, f"unknown field{did_you_mean(str(key), options)}; "
                                     f"allowed: {', '.join(options)}")


def did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_threshold(value: object, kind: str, field: str) -> float:
    """An SLO bound: a duration, a ratio (0..1 or "5%") or a number >= 0."""
    if kind == "duration":
        return parse_duration(value, field)
    if kind == "ratio":
        allowed = 'a ratio from 0 to 1 such as 0.05 (or "5%")'
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                number: object = float(value.strip()[:-1]) / 100
            except ValueError:
                raise ConfigError(field, f"expected {allowed}, got {shown(value)}") from None
        else:
            number = value
        if isinstance(number, bool) or not isinstance(number, int | float) or \
                not 0.0 <= number <= 1.0:
            raise ConfigError(field, f"expected {allowed}, got {shown(value)}")
        return float(number)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e12:
        raise ConfigError(field, f"expected a number >= 0, got {shown(value)}")
    return float(value)
