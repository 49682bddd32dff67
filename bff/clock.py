"""The injected monotonic clock: production passes `loop.time`, tests pass a FakeClock.

Policies never read time themselves, so every timing rule can be tested without sleeping
and a run's timeline lines up with the event loop's own scheduling (`loop.call_at`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

Clock: TypeAlias = Callable[[], float]
"""Monotonic seconds (`asyncio.get_running_loop().time` in production)."""


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds`; returns the new reading."""
        if seconds < 0:
            raise ValueError(f"a monotonic clock cannot go back ({seconds} s)")
        self.now += seconds
        return self.now

    def advance_to(self, when: float) -> float:
        """Jump to the reading `when` (e.g. a breaker's next_transition_at())."""
        if when < self.now:
            raise ValueError(f"a monotonic clock cannot go back ({self.now} -> {when})")
        self.now = when
        return self.now
