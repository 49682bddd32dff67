"""Sliding windows of call outcomes, O(1) per call, shared by the breaker and the budget.

- `BucketRing`: counters over the last `window` seconds in fixed-width time buckets (the
  resilience4j / Finagle approach) instead of a list of every timestamp.
- `CountWindow`: the last N outcomes (a ring buffer with running totals).
- `TimeWindow`: the outcomes of the last N seconds (a BucketRing).
- `FirstFailureWindow`: the book's window, which starts at the first failure and is
  cleared by the first call that arrives after it has expired.
"""

from __future__ import annotations

import math
from typing import Protocol


class BucketRing:
    """Counters (`fields` of them) summed over the last `window` seconds.

    Counts leave the totals a whole bucket at a time, so an event stays counted for more
    than `window - width` and at most `window` seconds, where width = window / buckets.
    The default of at least 10 buckets and at most one per second bounds that error.
    """

    def __init__(self, window: float, fields: int, buckets: int | None = None) -> None:
        self.window = window
        self._n = buckets if buckets is not None else max(10, math.ceil(window))
        self._width = window / self._n
        self._counts = [[0] * fields for _ in range(self._n)]
        self._totals = [0] * fields
        self._head: int | None = None  # absolute index of the newest bucket

    def _advance(self, now: float) -> int:
        index = math.floor(now / self._width)
        head = self._head
        if head is None or index > head:
            if head is not None:
                # Only the buckets the clock moved past are expired: amortised O(1).
                for step in range(head + 1, min(index, head + self._n) + 1):
                    slot = self._counts[step % self._n]
                    for i, count in enumerate(slot):
                        if count:
                            self._totals[i] -= count
                            slot[i] = 0
            self._head = head = index
        return head

    def add(self, now: float, field: int, amount: int = 1) -> None:
        head = self._advance(now)
        self._counts[head % self._n][field] += amount
        self._totals[field] += amount

    def totals(self, now: float) -> tuple[int, ...]:
        self._advance(now)
        return tuple(self._totals)

    def clear(self) -> None:
        for slot in self._counts:
            slot[:] = [0] * len(slot)
        self._totals = [0] * len(self._totals)
        self._head = None


class OutcomeWindow(Protocol):
    """What the breaker needs from a window: record outcomes and read (calls, failed, slow)."""

    def record(self, now: float, failed: bool, slow: bool) -> None: ...

    def totals(self, now: float) -> tuple[int, int, int]: ...

    def on_acquire(self, now: float) -> None: ...

    def clear(self) -> None: ...


_FAILED, _SLOW = 1, 2


class CountWindow:
    """The last `size` recorded outcomes."""

    def __init__(self, size: int) -> None:
        self._ring = bytearray(size)
        self._next = 0
        self._filled = 0
        self._failed = 0
        self._slow = 0

    def record(self, now: float, failed: bool, slow: bool) -> None:
        code = (_FAILED if failed else 0) | (_SLOW if slow else 0)
        if self._filled == len(self._ring):
            old = self._ring[self._next]
            self._failed -= old & _FAILED
            self._slow -= (old & _SLOW) >> 1
        else:
            self._filled += 1
        self._ring[self._next] = code
        self._next = (self._next + 1) % len(self._ring)
        self._failed += failed
        self._slow += slow

    def totals(self, now: float) -> tuple[int, int, int]:
        return self._filled, self._failed, self._slow

    def on_acquire(self, now: float) -> None:
        pass

    def clear(self) -> None:
        self._ring[:] = bytes(len(self._ring))
        self._next = self._filled = self._failed = self._slow = 0


class TimeWindow:
    """The outcomes recorded in the last `seconds` (see BucketRing for the granularity)."""

    def __init__(self, seconds: float) -> None:
        self._ring = BucketRing(seconds, fields=3)

    def record(self, now: float, failed: bool, slow: bool) -> None:
        self._ring.add(now, 0)
        if failed:
            self._ring.add(now, 1)
        if slow:
            self._ring.add(now, 2)

    def totals(self, now: float) -> tuple[int, int, int]:
        calls, failed, slow = self._ring.totals(now)
        return calls, failed, slow

    def on_acquire(self, now: float) -> None:
        pass

    def clear(self) -> None:
        self._ring.clear()


class FirstFailureWindow:
    """The book's window (listing 10.11): counts run from the first failure; the first call
    *admitted* more than `seconds` after that failure clears them. Failures of calls that
    started inside the window still count even if they end after it, as in the book."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._first_failure: float | None = None
        self._calls = self._failed = self._slow = 0

    def record(self, now: float, failed: bool, slow: bool) -> None:
        self._calls += 1
        self._slow += slow
        if failed:
            self._failed += 1
            if self._first_failure is None:
                self._first_failure = now

    def totals(self, now: float) -> tuple[int, int, int]:
        return self._calls, self._failed, self._slow

    def on_acquire(self, now: float) -> None:
        # Strictly later, like the book's `datetime.now() > last_failure_time + window`.
        if self._first_failure is not None and now > self._first_failure + self._seconds:
            self.clear()

    def clear(self) -> None:
        self._first_failure = None
        self._calls = self._failed = self._slow = 0
