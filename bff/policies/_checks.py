"""Validation helpers for the frozen policy configs: each raises ConfigError naming the
field and the values it accepts, so a bad TOML key or `--set` value reads as one line."""

from __future__ import annotations

import math
from collections.abc import Collection

from sim.errors import ConfigError, as_float, shown


def choice(field: str, value: object, allowed: Collection[str]) -> None:
    if value not in allowed:
        names = ", ".join(repr(a) for a in allowed)
        raise ConfigError(field, f"expected one of {names}, got {shown(value)}")


def number(field: str, value: object, *, minimum: float = 0.0, inclusive: bool = True,
           maximum: float | None = None) -> float:
    """A finite real in [minimum, maximum] (or (minimum, maximum] when not inclusive)."""
    low = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
    wanted = f"a number {low}" + (f" and <= {maximum:g}" if maximum is not None else "")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(field, f"expected {wanted}, got {shown(value)}")
    if not math.isfinite(as_float(value)):
        raise ConfigError(field, f"expected {wanted}, got {shown(value)}")
    too_low = value < minimum if inclusive else value <= minimum
    if too_low or (maximum is not None and value > maximum):
        raise ConfigError(field, f"expected {wanted}, got {shown(value)}")
    return float(value)


MAX_INTEGER = 1_000_000  # counts and sizes: anything larger is a typo, not a setting


def integer(field: str, value: object, *, minimum: int = 0, maximum: int = MAX_INTEGER) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConfigError(field, f"expected an integer from {minimum} to {maximum:,}, "
                                 f"got {shown(value)}")
    return value


def fraction(field: str, value: object) -> None:
    """A rate threshold: None (off) or a number in (0, 1]."""
    if value is not None:
        try:
            number(field, value, minimum=0.0, inclusive=False, maximum=1.0)
        except ConfigError:
            raise ConfigError(
                field, f"expected a rate in (0, 1] or none (off), got {shown(value)}") from None
