"""The innermost layer: one HTTP exchange under a timeout, its answer classified into a
decoded value or an AttemptFailed. No accounting here: bff/attempt.py settles the
attempt (breaker, counters, events) from what this returns or raises."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import aiohttp

from bff.errors import AttemptTimedOut, AttemptUnreachable, BadAnswer
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
        # aiohttp's own total timeout covers connect, headers and body in one timer.
        # No ceil_threshold: by default aiohttp rounds a timer over 5 s up to the next
        # whole second, so a long attempt would overrun its stage by up to 1 s.
        async with caller.session.get(caller.base_url + path, headers=headers,
                                      timeout=aiohttp.ClientTimeout(
                                          total=seconds, ceil_threshold=math.inf)
                                      ) as response:
            body = await response.read()
            status = response.status
            retry_after = _retry_after(response.headers.get("Retry-After"))
    except TimeoutError:
        raise AttemptTimedOut(which, caller.clock() - started) from None
    except aiohttp.ClientError as exc:
        raise AttemptUnreachable(CONNECTION_ERROR, type(exc).__name__) from None
    if status >= 400:
        raise BadAnswer(Outcome.http(status), retry_after=retry_after)
    try:
        return caller.decode(json.loads(body))
    except (ValueError, TypeError, KeyError) as exc:
        raise BadAnswer(MALFORMED, type(exc).__name__) from None
