"""Reading one fault's spec (a TOML table or JSON object) with errors that name the field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sim.durations import parse_duration
from sim.errors import ConfigError, as_float, shown


class SpecReader:
    """Takes fields out of a spec; `finish()` rejects whatever was not taken."""

    def __init__(self, spec: Mapping[str, object], field: str) -> None:
        self._spec = dict(spec)
        self._field = field
        self._taken: set[str] = {"type"}

    def has(self, key: str) -> bool:
        return key in self._spec

    def _take(self, key: str) -> object:
        self._taken.add(key)
        return self._spec.get(key)

    def path(self, key: str) -> str:
        return f"{self._field}.{key}"

    def duration(self, key: str, default: float | None = None) -> float:
        value = self._take(key)
        if value is None:
            if default is None:
                raise ConfigError(self.path(key), 'is required (a duration such as "250ms")')
            return default
        return parse_duration(value, self.path(key))

    def optional_duration(self, key: str) -> float | None:
        value = self._take(key)
        return None if value is None else parse_duration(value, self.path(key))

    def number(self, key: str, default: float | None = None, *, low: float = 0.0,
               high: float = float("inf")) -> float:
        value = self._take(key)
        if value is None:
            if default is None:
                raise ConfigError(self.path(key), f"is required (a number in [{low:g}, {high:g}])")
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(self.path(key), f"expected a number in [{low:g}, {high:g}], "
                                              f"got {shown(value)}")
        number = as_float(value)
        if not low <= number <= high or number == float("inf"):
            raise ConfigError(self.path(key), f"must be in [{low:g}, {high:g}], "
                                              f"got {shown(value)}")
        return number

    def probability(self, key: str = "probability") -> float:
        return self.number(key, 1.0, low=0.0, high=1.0)

    def integer(self, key: str, default: int | None = None, *, low: int = 0,
                high: int = 2**31) -> int:
        value = self._take(key)
        if value is None:
            if default is None:
                raise ConfigError(self.path(key), f"is required (an integer in [{low}, {high}])")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(self.path(key), f"expected an integer in [{low}, {high}], "
                                              f"got {shown(value)}")
        if not low <= value <= high:
            raise ConfigError(self.path(key), f"must be in [{low}, {high}], got {shown(value)}")
        return value

    def choice(self, key: str, allowed: Iterable[str], default: str) -> str:
        options = tuple(allowed)
        value = self._take(key)
        if value is None:
            return default
        if value not in options:
            raise ConfigError(self.path(key), f"must be one of {', '.join(options)}; "
                                              f"got {shown(value)}")
        return str(value)

    def finish(self, allowed_note: str = "") -> None:
        unknown = sorted(set(self._spec) - self._taken)
        if unknown:
            allowed = ", ".join(sorted(self._taken))
            raise ConfigError(
                self.path(unknown[0]),
                f"unknown field; allowed fields are {allowed}{allowed_note}",
            )
