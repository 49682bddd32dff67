"""The innermost layer: one HTTP exchange under a timeout, its answer classified into a
decoded value or an AttemptFailed. No accounting here: bff/attempt.py settles the
attempt (breaker, counters, events) from what this returns or raises."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bff.errors import (
    AttemptNotSent,
    AttemptNotSentLocally,
    AttemptTimedOut,
    AttemptUnreachable,
    BadAnswer,
    MalformedJson,
    PoolTimeout,
    RequestNotSent,
    TransportError,
    TransportTimeout,
)
from bff.policies.retry import CONNECTION_ERROR, MALFORMED, Outcome

if TYPE_CHECKING:
    from bff.caller import DownstreamCaller
    from bff.context import RequestContext

REQUEST_ID_HEADER = "X-Request-Id"


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare between services, not honoured


async def exchange(caller: DownstreamCaller, path: str, ctx: RequestContext, which: str,
                   seconds: float) -> Any:
    """GET `path` from the downstream within `seconds` (`which` timeout that is: per_try
    or deadline) and return the decoded body."""
    headers = {REQUEST_ID_HEADER: ctx.request_id}
    started = caller.clock()
    try:
        # The transport's one timer covers connect, waiting for a connection, headers and
        # body; it drops the connection when it fires.
        response = await caller.transport.get(caller.origin, path, headers, seconds)
    except TransportTimeout:
        raise AttemptTimedOut(which, caller.clock() - started) from None
    except PoolTimeout:  # never left the BFF: not the downstream's failure
        raise AttemptNotSent("pool_timeout", which, caller.clock() - started) from None
    except RequestNotSent as exc:  # unencodable, or the client closed: a local error
        raise AttemptNotSentLocally(exc.reason, str(exc)) from None
    except TransportError as exc:  # connect failed, reset, malformed HTTP
        raise AttemptUnreachable(CONNECTION_ERROR, type(exc).__name__) from None
    if response.status >= 400:
        raise BadAnswer(Outcome.http(response.status),
                        retry_after=_retry_after(response.headers.get("retry-after")))
    try:
        return caller.decode(response.json())
    except (MalformedJson, ValueError, TypeError, KeyError) as exc:
        raise BadAnswer(MALFORMED, type(exc).__name__) from None
