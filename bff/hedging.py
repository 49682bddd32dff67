"""Hedged attempts: start a second attempt if the first has not answered after `delay`;
the first success wins and the other is cancelled. The hedge is charged to the retry
budget, so hedging cannot multiply load past what retries may."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from bff.errors import AttemptFailed
from bff.events import HedgeSent, HedgeWon

if TYPE_CHECKING:
    from bff.caller import DownstreamCaller
    from bff.context import RequestContext


async def race_with_hedge(caller: DownstreamCaller, path: str, ctx: RequestContext,
                          attempt: int, delay: float) -> Any:
    primary = asyncio.ensure_future(caller._attempt(path, ctx, attempt, hedged=False))
    tasks = {primary}
    try:
        done, _ = await asyncio.wait(tasks, timeout=min(delay, ctx.time_left()))
        if not done and ctx.time_left() > 0 and (
                caller.budget is None or caller.budget.try_spend()):
            caller.telemetry.count("bff_hedges_total", (caller.name, "sent"))
            caller.telemetry.emit(HedgeSent(caller.telemetry.now(), caller.name, ctx.request_id,
                                            delay))
            tasks.add(asyncio.ensure_future(caller._attempt(path, ctx, attempt, hedged=True)))
        failure: AttemptFailed | None = None
        while tasks:
            done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if error is None:
                    if task is not primary:
                        caller.telemetry.count("bff_hedges_total", (caller.name, "won"))
                        caller.telemetry.emit(HedgeWon(caller.telemetry.now(), caller.name,
                                                       ctx.request_id))
                    return task.result()
                if isinstance(error, AttemptFailed):
                    failure = error
                else:
                    raise error
        assert failure is not None
        raise failure
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, AttemptFailed):
                await task
