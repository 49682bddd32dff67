"""The simulator's error tree. Every user-facing problem is one of these.

SimError
├── ConfigError      bad input: a fault spec, a plan file, a CLI value (exit code 2)
└── PortInUseError   a listener could not bind its port (exit code 2)
"""

from __future__ import annotations

# Everything str.splitlines() breaks at, and the other control characters.
_CONTROL_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(32), 0x7f, 0x85]} | {
    10: "\\n", 13: "\\r", 9: "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def shown(value: object) -> str:
    """`repr` for an error message, also for integers too long to print (Python refuses
    past 4,300 digits) and cut to a readable length."""
    try:
        text = repr(value)
    except ValueError:
        return "an integer with thousands of digits"
    return text if len(text) <= 80 else text[:77] + "..."


def as_float(value: int | float) -> float:
    """float(value), but NaN for an integer too large for a float (TOML integers are
    unbounded), so every range check refuses it instead of raising OverflowError."""
    try:
        return float(value)
    except OverflowError:
        return float("nan")


class SimError(Exception):
    """Base of every error the simulator reports to a user."""

    exit_code = 2


class ConfigError(SimError):
    """Invalid configuration: names where it came from, the field, and what is allowed."""

    def __init__(self, field: str, problem: str, *, source: str | None = None) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.source}: " if self.source else ""
        # A quoted TOML key may hold a line break; the message must stay one line.
        return f"{where}{self.field}: {self.problem}".translate(_CONTROL_ESCAPES)

    def within(self, source: str | None = None, prefix: str | None = None) -> ConfigError:
        """The same error re-anchored in a file and/or under a parent field path."""
        field = f"{prefix}.{self.field}" if prefix else self.field
        return ConfigError(field, self.problem, source=source or self.source)


class PortInUseError(SimError):
    def __init__(self, what: str, host: str, port: int, reason: str) -> None:
        self.what, self.host, self.port = what, host, port
        super().__init__(
            f"{what}: cannot listen on {host}:{port} ({reason}); "
            f"choose another port (0 picks a free one) or stop what holds it"
        )
