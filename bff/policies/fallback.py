"""Fallbacks: what to serve when a downstream call fails for good.

kind "none": nothing (products then answers 504/500, the book's semantics); "null": a
null in place of the value; "last_good": the last good value for the same key if it is
younger than `max_age`, else null (products: else 504/500).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bff.policies import _checks as check

FallbackKind = Literal["none", "null", "last_good"]
KINDS: tuple[FallbackKind, ...] = ("none", "null", "last_good")


@dataclass(frozen=True)
class FallbackConfig:
    kind: FallbackKind = "null"
    max_age: float = 60.0  # seconds a last good value may be served

    def __post_init__(self) -> None:
        check.choice("kind", self.kind, KINDS)
        check.number("max_age", self.max_age)


class LastGoodCache:
    """The last good value per key (product id, user id) with the clock time it arrived."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._values: dict[object, tuple[float, Any]] = {}
        self._max_keys = max_keys

    def store(self, key: object, value: Any, now: float) -> None:
        if len(self._values) >= self._max_keys and key not in self._values:
            self._values.pop(next(iter(self._values)))  # oldest inserted first: bounded
        self._values[key] = (now, value)

    def get(self, key: object, now: float, max_age: float) -> tuple[bool, Any, float]:
        """(found, value, age); found is False when missing or older than max_age."""
        entry = self._values.get(key)
        if entry is None:
            return False, None, 0.0
        age = now - entry[0]
        return age <= max_age, entry[1], age
