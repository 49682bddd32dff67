"""One attempt and its accounting. Every attempt ends in exactly one explicit outcome
(as Polly v8's Outcome and resilience4j's permits do):

- ok: the downstream answered with a usable body;
- failed: it did not (timeout, connection error, error status, bad body, or an
  exception the BFF did not expect: outcome "error", never "ok");
- cancelled: the attempt was abandoned before it ended (a hedge that lost, a request
  that went away): it says nothing about the downstream, so the breaker gets its permit
  back (counted neither way) and hedging's latency statistics do not see it;
- not_sent: it never reached the wire: the deadline had passed before it could go (no
  breaker permit taken), its timer fired while it waited for a pooled connection, its
  request could not be encoded or the client was closed (permit given back). Never a
  downstream failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bff.errors import AttemptFailed, AttemptTimedOut
from bff.events import AttemptFinished, TimeoutFired
from bff.http import exchange
from bff.policies.breaker import Permit
from bff.policies.retry import ERROR

if TYPE_CHECKING:
    from bff.caller import DownstreamCaller
    from bff.context import RequestContext

EndKind = Literal["ok", "failed", "cancelled", "not_sent"]


@dataclass(frozen=True)
class AttemptEnd:
    """How one attempt ended; `failure` says how a failed one failed."""

    kind: EndKind
    failure: AttemptFailed | None = None

    @property
    def label(self) -> str:
        """The `outcome` label of bff_attempts_total and of the attempt event."""
        if self.failure is None:
            return self.kind
        return str(self.failure.outcome)

    @property
    def downstream_unwell(self) -> bool:
        """Whether the breaker counts it as a failure: timeouts, unreachable, 5xx, 429,
        bad bodies and unexpected errors; other 4xx say the request was wrong."""
        if self.failure is None:
            return False
        outcome = self.failure.outcome
        if outcome.kind == "status":
            return outcome.status is not None and (outcome.status >= 500 or
                                                   outcome.status == 429)
        return True


OK = AttemptEnd("ok")
CANCELLED = AttemptEnd("cancelled")


async def send(caller: DownstreamCaller, path: str, ctx: RequestContext, attempt: int,
               hedged: bool, permit: Permit | None, left: float) -> Any:
    """One attempt with `left` seconds of the stage remaining (> 0), settled once."""
    per_try = caller.policy.timeout
    which, timeout = ("per_try", per_try) if per_try is not None and per_try < left else \
        ("deadline", left)
    started = caller.clock()
    try:
        value = await exchange(caller, path, ctx, which, timeout)
    except AttemptFailed as failure:
        if failure.not_sent is not None:
            release(caller, permit)
            not_sent(caller, ctx, attempt, hedged, failure.not_sent)
        else:
            settle(caller, ctx, attempt, hedged, permit, started,
                   AttemptEnd("failed", failure))
        raise
    except Exception as error:
        # A surprise (a body nested too deep to decode, a bug): a failure, never "ok", and
        # the call fails over to its fallback like any other failure.
        surprise = AttemptFailed(ERROR, type(error).__name__)
        settle(caller, ctx, attempt, hedged, permit, started, AttemptEnd("failed", surprise))
        raise surprise from error
    except BaseException:  # CancelledError: a hedge lost, or the request went away
        settle(caller, ctx, attempt, hedged, permit, started, CANCELLED)
        raise
    settle(caller, ctx, attempt, hedged, permit, started, OK)
    return value


def settle(caller: DownstreamCaller, ctx: RequestContext, attempt: int, hedged: bool,
           permit: Permit | None, started: float, end: AttemptEnd) -> None:
    """Tell the breaker, the counters, hedging's statistics and the ledger how it ended."""
    duration = caller.clock() - started
    telemetry, keys, counters = caller.telemetry, caller.keys, caller.telemetry.counters
    cancelled = end.kind == "cancelled"
    failure = end.failure
    breaker = caller.breaker
    if permit is not None and breaker is not None:
        if cancelled:
            release(caller, permit)
        elif failure is not None and end.downstream_unwell:
            breaker.on_failure(permit, duration)
        else:
            breaker.on_success(permit, duration)
    timed_out = isinstance(failure, AttemptTimedOut)
    if isinstance(failure, AttemptTimedOut):
        counters[keys.key("bff_timeouts_total", failure.which)] += 1
        telemetry.emit(TimeoutFired(telemetry.now(), caller.name, ctx.request_id,
                                    failure.which, duration))
    if timed_out or cancelled:
        counters[keys.key("bff_abandoned_total")] += 1
    label = end.label
    counters[keys.key("bff_attempts_total", label)] += 1
    if not cancelled:
        if not timed_out:
            keys.observe_attempt(duration)
        caller.hedge_delay.record(duration)
    telemetry.ledger.emit(AttemptFinished(telemetry.ledger.at(started), caller.name,
                                          ctx.request_id, attempt, label, duration, hedged))


def release(caller: DownstreamCaller, permit: Permit | None) -> None:
    """Give a breaker permit back, counted neither way (resilience4j's releasePermission)."""
    if permit is not None and caller.breaker is not None:
        caller.breaker.on_ignored(permit)


def not_sent(caller: DownstreamCaller, ctx: RequestContext, attempt: int,
             hedged: bool, reason: str = "deadline") -> None:
    """An attempt that never reached the wire; `reason`: deadline, pool_timeout,
    unencodable or client_closed. Its permit, if it took one, is the caller's to release."""
    telemetry = caller.telemetry
    telemetry.count("bff_attempts_not_sent_total", (caller.name, reason))
    telemetry.emit(AttemptFinished(telemetry.now(), caller.name, ctx.request_id, attempt,
                                   "not_sent", 0.0, hedged))


__all__ = ["CANCELLED", "OK", "AttemptEnd", "not_sent", "release", "send", "settle"]
