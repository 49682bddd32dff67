"""Bulkhead: a cap on concurrent calls to one downstream. Over the cap a call is refused at
once (no queue), so a slow downstream cannot hold every connection and task of the BFF."""

from __future__ import annotations

from dataclasses import dataclass

from bff.policies import _checks as check


@dataclass(frozen=True)
class BulkheadConfig:
    max_concurrent: int | None = None  # None: no cap

    def __post_init__(self) -> None:
        if self.max_concurrent is not None:
            check.integer("max_concurrent", self.max_concurrent, minimum=1)


class Bulkhead:
    """`try_enter()` before the call; if it returned True, `leave()` exactly once after."""

    def __init__(self, config: BulkheadConfig) -> None:
        self.config = config
        self.in_use = 0
        self.peak = 0
        self.rejected = 0

    @property
    def max_concurrent(self) -> int | None:
        return self.config.max_concurrent

    def try_enter(self) -> bool:
        cap = self.config.max_concurrent
        if cap is not None and self.in_use >= cap:
            self.rejected += 1
            return False
        self.in_use += 1
        self.peak = max(self.peak, self.in_use)
        return True

    def leave(self) -> None:
        if self.in_use <= 0:
            # A leave without an enter would silently raise the cap for everyone after.
            raise RuntimeError("Bulkhead.leave() without a matching try_enter()")
        self.in_use -= 1

    def snapshot(self) -> dict[str, int | None]:
        return {"max_concurrent": self.config.max_concurrent, "in_use": self.in_use,
                "peak": self.peak, "rejected": self.rejected}
