"""Typed, frozen ledger events of the BFF's resilience policies.

`t` is a reading of the injected clock (the loop's monotonic time); whoever forwards an
event to the ledger converts it to ledger time. Policies that change state on their own
(the breaker) emit through a listener; outcomes a caller sees directly (a retry decision,
a full bulkhead) are emitted by the pipeline with these classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sim.events import Event


@dataclass(frozen=True)
class BreakerTransition(Event):
    """A breaker changed state. Rates are those the decision was based on: the sliding
    window's, or the half-open probes' when leaving half-open (None: no calls yet)."""

    kind: ClassVar[str] = "breaker_transition"
    ring: ClassVar[str | None] = "breaker"  # never pushed out by floods of other events
    breaker: str
    from_state: str
    to_state: str
    reason: str
    failure_rate: float | None
    slow_rate: float | None
    open_duration: float | None = None  # set when to_state is "open"


@dataclass(frozen=True)
class CallNotPermitted(Event):
    """The breaker rejected a call without calling the downstream."""

    kind: ClassVar[str] = "call_not_permitted"
    frequent: ClassVar[bool] = True  # one per call under load
    breaker: str
    state: str
    retry_after: float | None = None  # seconds until the breaker may admit calls again


@dataclass(frozen=True)
class BreakerThresholdExceeded(Event):
    """A breaker in metrics_only mode would have opened (emitted on each crossing)."""

    kind: ClassVar[str] = "breaker_threshold_exceeded"
    breaker: str
    reason: str
    failure_rate: float | None
    slow_rate: float | None


@dataclass(frozen=True)
class RetryScheduled(Event):
    """Attempt `attempt` failed with `cause`; the next one starts after `delay` seconds."""

    kind: ClassVar[str] = "retry_scheduled"
    frequent: ClassVar[bool] = True  # one per call under load
    downstream: str
    attempt: int
    delay: float
    cause: str
    retry_after: float | None = None  # the server's Retry-After, when it set the delay


@dataclass(frozen=True)
class RetryBlocked(Event):
    """Attempt `attempt` failed with `cause` and will not be retried.

    reason: max_attempts | budget | breaker_open | deadline | not_retryable
    """

    kind: ClassVar[str] = "retry_blocked"
    frequent: ClassVar[bool] = True  # one per call under load
    downstream: str
    attempt: int
    reason: str
    cause: str
    detail: str = ""


@dataclass(frozen=True)
class BulkheadRejected(Event):
    """A call was refused at once because the downstream's concurrency cap was reached."""

    kind: ClassVar[str] = "bulkhead_rejected"
    frequent: ClassVar[bool] = True  # one per call under load
    downstream: str
    in_use: int
    max_concurrent: int


@dataclass(frozen=True)
class AttemptFinished(Event):
    """One attempt at a downstream call ended (bff/attempt.py). outcome: ok; a failure
    (timeout, connection_error, status 503, malformed, ..., or error for an unexpected
    exception); cancelled (a hedge that lost, a request that went away); or not_sent
    (the deadline had passed before it could go; duration 0)."""

    kind: ClassVar[str] = "attempt"
    frequent: ClassVar[bool] = True
    downstream: str
    request_id: str
    attempt: int
    outcome: str
    duration: float
    hedge: bool = False


@dataclass(frozen=True)
class TimeoutFired(Event):
    """An attempt was cut off. which: per_try (the downstream's own timeout) or deadline
    (the request's time ran out, or the stage wait ended). The downstream may still be
    working on it: that work is counted as abandoned."""

    kind: ClassVar[str] = "timeout"
    frequent: ClassVar[bool] = True
    downstream: str
    request_id: str
    which: str
    after: float


@dataclass(frozen=True)
class FallbackServed(Event):
    """A failed call was answered from a fallback. served: null or last_good (with age)."""

    kind: ClassVar[str] = "fallback"
    frequent: ClassVar[bool] = True
    downstream: str
    request_id: str
    served: str
    cause: str
    age: float | None = None


@dataclass(frozen=True)
class HedgeSent(Event):
    kind: ClassVar[str] = "hedge_sent"
    frequent: ClassVar[bool] = True
    downstream: str
    request_id: str
    after: float


@dataclass(frozen=True)
class HedgeWon(Event):
    kind: ClassVar[str] = "hedge_won"
    frequent: ClassVar[bool] = True
    downstream: str
    request_id: str
