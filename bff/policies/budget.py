"""Retry budget per downstream, after Finagle's RetryBudget and Envoy's retry budgets.

Within the last `window` seconds, retries may be at most
`min_retries_per_second * window + ratio * requests`, so a flaky downstream gets a few
retries per second however quiet the traffic is, but retries can never multiply the load
by more than (1 + ratio) once it is busy. Record every logical request (not its retries)
with `record_request()`; call `try_spend()` when a retry is about to be scheduled.
Counts are kept in per-second (or finer) buckets, so each call is O(1) amortised.
"""

from __future__ import annotations

from dataclasses import dataclass

from bff.clock import Clock
from bff.policies import _checks as check
from bff.policies.windows import BucketRing

_REQUESTS, _RETRIES = 0, 1
_EPSILON = 1e-9  # so that e.g. 0.2 * 5 requests buys exactly one retry


@dataclass(frozen=True)
class BudgetConfig:
    ratio: float = 0.2
    min_retries_per_second: float = 5.0
    window: float = 10.0

    def __post_init__(self) -> None:
        check.number("ratio", self.ratio)
        check.number("min_retries_per_second", self.min_retries_per_second)
        check.number("window", self.window, inclusive=False)


class RetryBudget:
    def __init__(self, config: BudgetConfig, clock: Clock) -> None:
        self.config = config
        self._clock = clock
        self._ring = BucketRing(config.window, fields=2)
        self.spent = 0  # retries granted since the start
        self.refused = 0  # retries refused since the start

    def record_request(self) -> None:
        self._ring.add(self._clock(), _REQUESTS)

    def available(self) -> float:
        """Retries that may still be spent in the current window."""
        requests, retries = self._ring.totals(self._clock())
        cfg = self.config
        return cfg.min_retries_per_second * cfg.window + cfg.ratio * requests - retries

    def try_spend(self) -> bool:
        """Charge one retry if the budget allows it; False means do not retry."""
        if self.available() < 1 - _EPSILON:
            self.refused += 1
            return False
        self._ring.add(self._clock(), _RETRIES)
        self.spent += 1
        return True

    def snapshot(self) -> dict[str, float | int]:
        requests, retries = self._ring.totals(self._clock())
        return {
            "requests_in_window": requests,
            "retries_in_window": retries,
            "available": max(0.0, self.available()),
            "spent": self.spent,
            "refused": self.refused,
        }
