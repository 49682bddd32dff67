"""Human durations: "250ms", "2s", "1m", "1.5h", "500us". A unit is required: a bare
"300" was silently 300 seconds where 300 ms was meant, so it is refused with a hint
(only zero, the same in every unit, may go without one). Every duration is at most
MAX_DURATION: a larger one is a typo, and 1e306 seconds overflows every deadline."""

from __future__ import annotations

import re
from decimal import Decimal

from sim.errors import ConfigError, as_float, shown

_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_UNIT = r"(us|µs|ms|s|m|h)"
_PATTERN = re.compile(rf"^\s*{_NUMBER}\s*{_UNIT}?\s*$")
# What a valid duration string looks like, for JSON Schemas: a number with a unit, or zero.
SCHEMA_PATTERN = rf"^\s*({_NUMBER}\s*{_UNIT}|0+(\.0*)?|\.0+)\s*$"
MAX_DURATION = 86_400.0  # one day
ALLOWED = 'a non-negative duration with a unit, such as "250ms", "2s" or "1m"'


def parse_duration(value: object, field: str) -> float:
    """Seconds as a float; raises ConfigError naming `field` on anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(field, f"expected {ALLOWED}, got {shown(value)}")
    if isinstance(value, str):
        match = _PATTERN.match(value)
        if not match:
            raise ConfigError(field, f"expected {ALLOWED}, got {shown(value)}")
        number, unit = match.groups()
        seconds = float(number) * _UNITS[unit or "s"]
    else:
        unit, seconds = None, as_float(value)
        number = _positional(seconds) if seconds - seconds == 0 else shown(value)
    if not seconds >= 0:  # negative or NaN
        raise ConfigError(field, f"expected {ALLOWED}, got {shown(value)}")
    if unit is None and seconds != 0:
        hint = f"did you mean {number}ms or {number}s?" if seconds <= MAX_DURATION else \
            "durations take one, such as 300ms, and are at most 1 day"
        raise ConfigError(field, f"{shown(value)} has no unit; {hint}")
    if seconds > MAX_DURATION:
        raise ConfigError(field, f"must be at most 1 day (24h), got {shown(value)}")
    return seconds


def _exact(text: str) -> float | None:
    """The seconds `text` (a number and a unit) stands for, without the bounds."""
    match = _PATTERN.match(text)
    if not match or match.group(2) is None:
        return None
    return float(match.group(1)) * _UNITS[match.group(2)]


def format_duration(seconds: float) -> str:
    """The shortest readable text that parses back to exactly `seconds`: fault specs in
    report.json, /faults and the ledger are this text, and a scenario must survive a
    round trip through its dict."""
    candidates = []
    if seconds >= 60 and seconds % 60 == 0:
        candidates.append((seconds / 60, "m"))
    candidates += [(seconds, "s")] if seconds >= 1 else [(seconds * 1000, "ms")]
    for value, unit in candidates:
        for text in (f"{value:.12g}", _positional(value)):
            if _exact(text + unit) == seconds:
                return text + unit
    return _positional(seconds) + "s"  # exact: the shortest decimal that reads back as it


def _positional(value: float) -> str:
    """repr's shortest round-trip digits, written without an exponent (which the
    duration syntax does not take)."""
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
