"""Human durations ("250ms", "2s", "1m", "1.5s" or a bare number of seconds)."""

from __future__ import annotations

import re

from sim.errors import ConfigError

_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(us|µs|ms|s|m|h)?\s*$")
ALLOWED = 'a non-negative duration such as "250ms", "2s", "1m" or a number of seconds'


def parse_duration(value: object, field: str) -> float:
    """Seconds as a float; raises ConfigError naming `field` on anything else."""
    if isinstance(value, bool):
        raise ConfigError(field, f"expected {ALLOWED}, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _PATTERN.match(value)
        if not match:
            raise ConfigError(field, f"expected {ALLOWED}, got {value!r}")
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ConfigError(field, f"expected {ALLOWED}, got {value!r}")
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise ConfigError(field, f"expected {ALLOWED}, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    # 12 significant digits: a duration survives a round trip through its text exactly.
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:.12g}m"
    if seconds >= 1:
        return f"{seconds:.12g}s"
    return f"{seconds * 1000:.12g}ms"
