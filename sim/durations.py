"""Human durations ("250ms", "2s", "1m", "1.5s" or a bare number of seconds)."""

from __future__ import annotations

import re
from decimal import Decimal

from sim.errors import ConfigError, as_float, shown

_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(us|µs|ms|s|m|h)?\s*$")
ALLOWED = 'a non-negative duration such as "250ms", "2s", "1m" or a number of seconds'


def parse_duration(value: object, field: str) -> float:
    """Seconds as a float; raises ConfigError naming `field` on anything else."""
    if isinstance(value, bool):
        raise ConfigError(field, f"expected {ALLOWED}, got {shown(value)}")
    if isinstance(value, int | float):
        seconds = as_float(value)
    elif isinstance(value, str):
        match = _PATTERN.match(value)
        if not match:
            raise ConfigError(field, f"expected {ALLOWED}, got {shown(value)}")
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ConfigError(field, f"expected {ALLOWED}, got {shown(value)}")
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise ConfigError(field, f"expected {ALLOWED}, got {shown(value)}")
    return seconds


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
            if _PATTERN.match(text + unit) and parse_duration(text + unit, "") == seconds:
                return text + unit
    return _positional(seconds) + "s"  # exact: the shortest decimal that reads back as it


def _positional(value: float) -> str:
    """repr's shortest round-trip digits, written without an exponent (which the
    duration syntax does not take)."""
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
