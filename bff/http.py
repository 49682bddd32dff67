"""The innermost layer: one HTTP attempt under the per-try timeout, classified, with the
breaker told the outcome and every attempt reported."""

from __future__ import annotations

import asyncio
import json
import math
from typing import TYPE_CHECKING, Any

import aiohttp

from bff.errors import AttemptFailed, AttemptTimedOut, AttemptUnreachable, BadAnswer
from bff.events import AttemptFinished, TimeoutFired
from bff.policies.breaker import Permit
from bff.policies.retry import CONNECTION_ERROR, MALFORMED, TIMEOUT, Outcome

if TYPE_CHECKING:
    from bff.caller import DownstreamCaller
    from bff.context import RequestContext

DEADLINE_HEADER = "X-Deadline-Ms"  # time the caller has left, so a downstream can give up
REQUEST_ID_HEADER = "X-Request-Id"


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare between services, not honoured


def _breaker_failure(outcome: Outcome) -> bool:
    """Timeouts, unreachable, 5xx, 429 and bad bodies say the downstream is unwell;
    other 4xx say the request was wrong."""
    if outcome.kind == "status":
        return outcome.status is not None and (outcome.status >= 500 or outcome.status == 429)
    return True


async def send(caller: DownstreamCaller, path: str, ctx: RequestContext, attempt: int,
               hedged: bool, permit: Permit | None) -> Any:
    clock = caller.clock
    left = ctx.time_left()
    per_try = caller.policy.timeout
    which, timeout = ("per_try", per_try) if per_try is not None and per_try < left else \
        ("deadline", left)
    headers = {REQUEST_ID_HEADER: ctx.request_id, DEADLINE_HEADER: str(int(left * 1000))}
    started = clock()
    outcome: Outcome | None = None
    try:
        if timeout <= 0:
            raise AttemptTimedOut("deadline", 0.0)
        try:
            # aiohttp's own total timeout covers connect, headers and body in one timer.
            # No ceil_threshold: by default aiohttp rounds a timer over 5 s up to the next
            # whole second, so a long attempt would overrun its stage by up to 1 s.
            async with caller.session.get(caller.base_url + path, headers=headers,
                                          timeout=aiohttp.ClientTimeout(
                                              total=timeout, ceil_threshold=math.inf)
                                          ) as response:
                body = await response.read()
                status = response.status
                retry_after = _retry_after(response.headers.get("Retry-After"))
        except TimeoutError:
            elapsed = clock() - started
            caller.telemetry.count("bff_timeouts_total", (caller.name, which))
            caller.telemetry.count("bff_abandoned_total", (caller.name,))
            caller.telemetry.emit(TimeoutFired(caller.telemetry.now(), caller.name,
                                               ctx.request_id, which, elapsed))
            raise AttemptTimedOut(which, elapsed) from None
        except aiohttp.ClientError as exc:
            raise AttemptUnreachable(CONNECTION_ERROR, type(exc).__name__) from None
        if status >= 400:
            raise BadAnswer(Outcome.http(status), retry_after=retry_after)
        try:
            value = caller.decode(json.loads(body))
        except (ValueError, TypeError, KeyError) as exc:
            raise BadAnswer(MALFORMED, type(exc).__name__) from None
        outcome = None
        return value
    except AttemptFailed as failure:
        outcome = failure.outcome
        raise
    except asyncio.CancelledError:
        # A hedge lost, or the request itself went away: the result means nothing.
        if permit is not None and caller.breaker is not None:
            caller.breaker.on_ignored(permit)
            permit = None
        caller.telemetry.count("bff_abandoned_total", (caller.name,))
        raise
    finally:
        _settle(caller, ctx, attempt, hedged, permit, started, outcome)


def _settle(caller: DownstreamCaller, ctx: RequestContext, attempt: int, hedged: bool,
            permit: Permit | None, started: float, outcome: Outcome | None) -> None:
    duration = caller.clock() - started
    label = "ok" if outcome is None else str(outcome)
    if permit is not None and caller.breaker is not None:
        if outcome is None or not _breaker_failure(outcome):
            caller.breaker.on_success(permit, duration)
        else:
            caller.breaker.on_failure(permit, duration)
    caller.telemetry.count("bff_attempts_total", (caller.name, label))
    if outcome is None or outcome is not TIMEOUT:
        caller.telemetry.observe("bff_attempt_duration_seconds", (caller.name,), duration)
    if caller.tracks_latency:
        caller.latency.record(duration)
    caller.telemetry.emit(AttemptFinished(caller.telemetry.ledger.at(started), caller.name,
                                          ctx.request_id, attempt, label, duration, hedged))
