"""One request's answer, faults included: the one place where fault answers are carried out.

Most requests are answered synchronously, inside the read callback, with no task: no
fault, an error, fail_first, malformed, reset. Only answers that wait (latency, hang,
slow_body) become a coroutine, which the connection runs and cancels if the caller goes
away: that is counted as an abandoned request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from functools import partial
from typing import Any, Protocol

from sim.engine import Decision
from sim.events import RequestAbandoned
from sim.faults.answers import Answer, Dribble, Drop, Reply, Serve, Silence
from sim.services.runtime import Request, ServiceRuntime

TIMER_LEAD = 0.0005
Pending = Coroutine[Any, Any, None]


class Connection(Protocol):
    """What an answer needs from the connection it is written to."""

    def send(self, request: Request, reply: Reply, injected: str) -> None: ...

    def send_head(self, request: Request, reply: Reply, injected: str) -> None: ...

    def send_body(self, data: bytes) -> None: ...

    def end(self, request: Request) -> None: ...

    def drop(self) -> None: ...


def answer(connection: Connection, runtime: ServiceRuntime, request: Request) -> Pending | None:
    """Answer now, or return what still has to run (and wait) to answer."""
    decision = runtime.decide(request)
    if isinstance(decision, Reply):  # an unreadable X-Sim-Fault: refused before any fault
        _send(connection, runtime, request, decision, "none")
        return None
    if decision.terminal is None and not decision.delays:  # the common case, kept short
        _send(connection, runtime, request,
              runtime.route.serve(request.method, request.path), "none")
        return None
    injected = decision.header_value()
    serve = partial(runtime.route.serve, request.method, request.path)
    if decision.delay:
        return _delayed(connection, runtime, request, decision, injected, serve)
    result = _answer_of(decision, serve)
    if isinstance(result, Reply | Drop):
        _send(connection, runtime, request, result, injected)
        return None
    return _waiting(connection, runtime, request, result, injected)


def _answer_of(decision: Decision, serve: Serve) -> Answer:
    if decision.terminal is None or decision.terminal_injection is None:
        return serve()
    return decision.terminal.answer(decision.terminal_injection, serve)


def refuse(connection: Connection, runtime: ServiceRuntime, request: Request,
           reply: Reply) -> None:
    """A request the protocol refused (size limit, malformed): answered and counted."""
    _send(connection, runtime, request, reply, "none")


def _send(connection: Connection, runtime: ServiceRuntime, request: Request,
          result: Reply | Drop, injected: str) -> None:
    ended = asyncio.get_running_loop().time()
    if isinstance(result, Drop):
        runtime.finish(request.started, ended, "reset")
        connection.drop()
    else:
        connection.send(request, result, injected)
        runtime.finish(request.started, ended, result.status)


async def _delayed(connection: Connection, runtime: ServiceRuntime, request: Request,
                   decision: Decision, injected: str, serve: Serve) -> None:
    loop = asyncio.get_running_loop()
    try:
        # Aim at a deadline from arrival, a little early: loop timers have millisecond
        # granularity and fire up to ~1 ms late, so this centres the observed delay.
        await asyncio.sleep(request.started + decision.delay - TIMER_LEAD - loop.time())
    except asyncio.CancelledError:
        abandoned(runtime, request)
        raise
    result = _answer_of(decision, serve)  # computed after the delay, as a handler would
    if isinstance(result, Reply | Drop):
        _send(connection, runtime, request, result, injected)
    else:
        await _waiting(connection, runtime, request, result, injected)


async def _waiting(connection: Connection, runtime: ServiceRuntime, request: Request,
                   result: Silence | Dribble, injected: str) -> None:
    try:
        if isinstance(result, Silence):
            await asyncio.get_running_loop().create_future()  # resolved by nobody
        else:
            await _dribble(connection, request, result, injected)
    except asyncio.CancelledError:
        abandoned(runtime, request)
        raise
    if isinstance(result, Dribble):
        runtime.finish(request.started, asyncio.get_running_loop().time(),
                       result.reply.status)


async def _dribble(connection: Connection, request: Request, dribble: Dribble,
                   injected: str) -> None:
    connection.send_head(request, dribble.reply, injected)
    payload = b"" if request.head_only else dribble.reply.body
    total = len(payload)
    pieces = max(1, min(dribble.chunks, total))
    pause = dribble.duration / pieces
    for index in range(pieces):
        # The last byte leaves after the full duration, so a reader waits all of it.
        await asyncio.sleep(pause)
        connection.send_body(payload[total * index // pieces:total * (index + 1) // pieces])
    connection.end(request)


def abandoned(runtime: ServiceRuntime, request: Request) -> None:
    """The caller left before the answer: an event and a count, whether the answer was
    running or still queued behind another on the connection."""
    ended = asyncio.get_running_loop().time()
    runtime.ledger.emit(RequestAbandoned(runtime.ledger.at(ended), runtime.name,
                                         runtime.request_id(request), ended - request.started))
    runtime.finish(request.started, ended, "abandoned")
