"""One downstream's policy pipeline, outermost first:

    deadline -> fallback -> retry (budget, hedging) -> breaker -> bulkhead -> per-try timeout
    -> the HTTP call

`DownstreamCaller.call()` never raises for a downstream's failure: it returns a CallResult
whose value is None when every attempt failed and the fallback had nothing to serve.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any, NamedTuple

from bff.attempt import not_sent, send
from bff.clock import Clock
from bff.context import RequestContext, TimingEntry
from bff.errors import (
    AttemptFailed,
    AttemptNotSent,
    AttemptRejected,
    AttemptTimedOut,
    TooManyRetries,
)
from bff.events import (
    BreakerTransition,
    BulkheadRejected,
    CallNotPermitted,
    FallbackServed,
    RetryBlocked,
    RetryScheduled,
)
from bff.hedging import race_with_hedge
from bff.policies.breaker import CircuitBreaker, Rejection
from bff.policies.budget import RetryBudget
from bff.policies.bulkhead import Bulkhead
from bff.policies.fallback import LastGoodCache
from bff.policies.hedge import HedgeDelay
from bff.policies.retry import BREAKER_OPEN, BULKHEAD_FULL, RetryPolicy
from bff.policyset import DownstreamPolicy
from bff.telemetry import DownstreamKeys, Telemetry
from bff.transport import Origin, Transport

Decoder = Callable[[Any], Any]


class CallResult(NamedTuple):
    """Immutable; a NamedTuple because a dozen are built per BFF request (a frozen
    dataclass costs several times more to construct)."""

    value: Any  # the decoded answer, a fallback's value, or None
    ok: bool  # the downstream answered (False: failed, maybe with a fallback)
    outcome: str  # ok | the last failure ("timeout", "status 503", "breaker_open", ...)
    timed_out: bool  # the final failure was a timeout (products: 504 rather than 500)
    fallback: str | None  # None | "null" | "last_good"
    attempts: int


class _Tries:
    """One call's own history (never shared between requests)."""

    __slots__ = ("count", "timed_out")

    def __init__(self) -> None:
        self.count = 0
        self.timed_out = False  # one of this call's attempts timed out


class DownstreamCaller:
    def __init__(self, name: str, base_url: str, policy: DownstreamPolicy,
                 transport: Transport, telemetry: Telemetry, clock: Clock,
                 decode: Decoder, rng: random.Random) -> None:
        self.name = name
        self.origin = Origin.parse(base_url)
        self.policy = policy
        self.transport = transport
        self.telemetry = telemetry
        self.clock = clock
        self.decode = decode
        self.retry = RetryPolicy(policy.retry, rng)
        self.budget = RetryBudget(policy.budget, clock) if policy.budget else None
        self.bulkhead = Bulkhead(policy.bulkhead)
        self.cache = LastGoodCache()
        self.hedge_delay = HedgeDelay(policy.hedge, clock)
        self.breaker: CircuitBreaker | None = None
        if policy.breaker is not None:
            self.breaker = CircuitBreaker(name, policy.breaker, clock,
                                          listener=self._on_breaker_event)
        self._labels = (name,)
        self.keys = DownstreamKeys(name, telemetry.ledger)
        self._hedged = policy.hedge.enabled
        self._caches = policy.fallback.kind == "last_good"
        self._scheduled: asyncio.TimerHandle | None = None

    # -- the pipeline, outside in -----------------------------------------------------

    async def call(self, path: str, key: object, ctx: RequestContext,
                   timing_name: str | None = None) -> CallResult:
        clock = self.clock
        started = clock()
        if self.budget is not None:
            self.budget.record_request()
        tries = _Tries()
        timing = timing_name or self.name
        counters = self.telemetry.counters
        try:
            value = await self._with_retries(path, ctx, tries)
        except AttemptFailed as failure:
            result = self._fall_back(key, failure, ctx, tries)
        except asyncio.CancelledError:
            # Products failed (or the request went away): say so in Server-Timing.
            counters[self.keys.key("bff_calls_total", "cancelled")] += 1
            ctx.timings.append(TimingEntry(timing, clock() - started, "cancelled"))
            raise
        else:
            if self._caches:
                self.cache.store(key, value, clock())
            result = CallResult(value, True, "ok", False, None, tries.count)
        counters[self.keys.key("bff_calls_total", _result_label(result))] += 1
        outcome = result.outcome if result.fallback is None else \
            f"{result.fallback}({result.outcome})"
        if tries.count > 1:
            outcome += f" x{tries.count}"
        ctx.timings.append(TimingEntry(timing, clock() - started, outcome))
        return result

    def _fall_back(self, key: object, failure: AttemptFailed, ctx: RequestContext,
                   tries: _Tries) -> CallResult:
        config = self.policy.fallback
        cause = str(failure.outcome)
        if isinstance(failure, TooManyRetries):
            cause = f"too_many_retries({cause})"
        # A rejection (breaker open, bulkhead full) after this call's own timeouts stands
        # for them: products is a 504 then. Other requests' failures never decide it.
        timed_out = isinstance(failure, AttemptTimedOut) or (
            isinstance(failure, AttemptRejected) and tries.timed_out)
        served: str | None = None
        value: Any = None
        age: float | None = None
        if config.kind == "last_good":
            found, cached, age = self.cache.get(key, self.clock(), config.max_age)
            if found:
                served, value = "last_good", cached
        if served is None and config.kind in ("null", "last_good") and self.name != "products":
            served, age = "null", None
        if served is not None:
            self.telemetry.count("bff_fallbacks_total", (self.name, served))
            self.telemetry.emit(FallbackServed(self.telemetry.now(), self.name, ctx.request_id,
                                               served, cause, age))
        return CallResult(value, False, cause, timed_out, served, tries.count)

    async def _with_retries(self, path: str, ctx: RequestContext, tries: _Tries) -> Any:
        previous: float | None = None
        retrying = self.policy.retry.max_attempts > 1
        while True:
            tries.count += 1
            attempt = tries.count
            try:
                if not self._hedged:  # one coroutine fewer on the common path
                    return await self._attempt(path, ctx, attempt, hedged=False)
                return await race_with_hedge(self, path, ctx, attempt,
                                             self.hedge_delay.current())
            except AttemptFailed as failure:
                tries.timed_out = tries.timed_out or isinstance(failure, AttemptTimedOut)
                if not retrying:
                    raise
                decision = self.retry.decide(
                    attempt, failure.outcome, ctx.time_left(), failure.retry_after,
                    budget=self.budget, previous_delay=previous)
                now = self.telemetry.now()
                if not decision.retry:
                    reason = decision.blocked or "not_retryable"
                    self.telemetry.count("bff_retries_blocked_total", (self.name, reason))
                    self.telemetry.emit(RetryBlocked(now, self.name, attempt, reason,
                                                     decision.cause, decision.detail))
                    if reason == "max_attempts" and \
                            self.policy.retry.on_exhausted == "too_many_retries":
                        await self._give_up_the_book_way(failure, ctx, attempt, previous)
                    raise
                self.telemetry.count("bff_retries_scheduled_total", self._labels)
                self.telemetry.emit(RetryScheduled(now, self.name, attempt, decision.delay,
                                                   decision.cause, decision.retry_after))
                previous = decision.backoff
                if decision.delay > 0:
                    await asyncio.sleep(decision.delay)

    async def _give_up_the_book_way(self, failure: AttemptFailed, ctx: RequestContext,
                                    attempts: int, previous: float | None) -> None:
        """Listing 10.9 sleeps the interval after the last try too, then raises
        TooManyRetries: a plain failure (products: 500), unless the stage ends first."""
        pause = self.retry.backoff(attempts, previous)
        left = ctx.time_left()
        await asyncio.sleep(min(pause, left))
        if pause >= left:
            raise AttemptTimedOut("deadline", left) from failure
        raise TooManyRetries(failure, attempts) from failure

    async def _attempt(self, path: str, ctx: RequestContext, attempt: int,
                       hedged: bool) -> Any:
        left = ctx.time_left()
        if left <= 0:  # before taking a permit: an attempt never sent is no breaker failure
            not_sent(self, ctx, attempt, hedged)
            raise AttemptNotSent()
        permit = None
        if self.breaker is not None:
            decision = self.breaker.try_acquire()
            if isinstance(decision, Rejection):
                raise AttemptRejected(BREAKER_OPEN, f"breaker {decision.state}")
            permit = decision
        if not self.bulkhead.try_enter():
            if permit is not None and self.breaker is not None:
                self.breaker.on_ignored(permit)
            self.telemetry.count("bff_bulkhead_rejected_total", self._labels)
            cap = self.bulkhead.max_concurrent or 0
            self.telemetry.emit(BulkheadRejected(self.telemetry.now(), self.name,
                                                 self.bulkhead.in_use, cap))
            raise AttemptRejected(BULKHEAD_FULL, f"{cap} calls in flight")
        try:
            return await send(self, path, ctx, attempt, hedged, permit, left)
        finally:
            self.bulkhead.leave()

    # -- breaker plumbing ---------------------------------------------------------------

    def _on_breaker_event(self, event: object) -> None:
        # Rejections come one per call: counted, not each one an event in the ledger.
        if isinstance(event, CallNotPermitted):
            self.telemetry.count("bff_breaker_not_permitted_total", self._labels)
        elif isinstance(event, BreakerTransition):
            self.telemetry.count("bff_breaker_transitions_total",
                                 (self.name, event.from_state, event.to_state))
            self.telemetry.emit_from_clock(event)
            self._schedule_tick()

    def _schedule_tick(self) -> None:
        """Apply OPEN -> HALF_OPEN at its exact time, so the timeline is right even when
        no call arrives to notice it."""
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        if self.breaker is None:
            return
        when = self.breaker.next_transition_at()
        if when is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a pure test driving the breaker outside a loop
            return
        self._scheduled = loop.call_at(when, self._tick)

    def _tick(self) -> None:
        self._scheduled = None
        if self.breaker is not None:
            self.breaker.tick()

    def close(self) -> None:
        if self._scheduled is not None:
            self._scheduled.cancel()


def _result_label(result: CallResult) -> str:
    if result.ok:
        return "success"
    return "fallback" if result.fallback is not None else "failed"


__all__ = ["CallResult", "DownstreamCaller"]
