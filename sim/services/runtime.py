"""What a service app shares with the host: its name, fault control and ledger.

The fault middleware is here: it decides once per request (header override > admin >
phase > base), records what it injected, and times and counts every answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sim.control import FaultControl
from sim.engine import NO_FAULT
from sim.errors import ConfigError
from sim.events import FaultInjected, RequestAbandoned
from sim.faults import parse_fault_header
from sim.faults.reset import ConnectionDropped
from sim.ledger import Ledger

INJECTED_HEADER = "X-Sim-Injected"
FAULT_HEADER = "X-Sim-Fault"
REQUEST_ID_HEADER = "X-Request-Id"


@dataclass
class ServiceRuntime:
    name: str
    control: FaultControl
    ledger: Ledger
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_request_id(self) -> str:
        return f"{self.name}-{next(self._ids)}"


RUNTIME = web.AppKey("runtime", ServiceRuntime)
_INJECTED = web.RequestKey("sim_injected", str)


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def parse_id(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    try:
        return int(raw)
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"{name} must be an integer", "got": raw[:100]}),
            content_type="application/json",
        ) from None


@web.middleware
async def fault_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    ledger = runtime.ledger
    loop = asyncio.get_running_loop()
    started = loop.time()
    request_id = request.headers.get(REQUEST_ID_HEADER) or runtime.next_request_id()
    header = request.headers.get(FAULT_HEADER)
    if header is not None:
        try:
            faults, source = parse_fault_header(header), "header"
        except ConfigError as exc:
            return json_error(400, exc.one_line(), field=exc.field)
    else:
        faults = runtime.control.faults_for(runtime.name)
        source = runtime.control.source_for(runtime.name).split(":")[0]
        source = "plan" if source in ("phase", "base") else source
    engine = runtime.control.engines[runtime.name]
    decision = engine.decide(faults, f"{request.method} {request.path_qs}") if faults else NO_FAULT
    now = ledger.at(started)
    for injection in decision.injections:
        ledger.emit(FaultInjected(now, runtime.name, request_id, injection.kind,
                                  injection.delay, injection.params, source))
        ledger.count("sim_faults_injected_total", (runtime.name, injection.kind))
    request[_INJECTED] = decision.header_value()
    try:
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.terminal is not None and decision.terminal_injection is not None:
            response = await decision.terminal.respond(
                request, decision.terminal_injection, handler)
        else:
            response = await handler(request)
    except ConnectionDropped:
        ledger.count("sim_requests_total", (runtime.name, "reset"))
        # The transport is gone; cancelling is how aiohttp drops a request quietly.
        raise asyncio.CancelledError from None
    except web.HTTPException as exc:
        exc.headers[INJECTED_HEADER] = request[_INJECTED]
        _finish(runtime, started, loop.time(), exc.status)
        raise
    except asyncio.CancelledError:
        elapsed = loop.time() - started
        ledger.emit(RequestAbandoned(ledger.at(loop.time()), runtime.name, request_id, elapsed))
        ledger.count("sim_requests_total", (runtime.name, "abandoned"))
        raise
    _finish(runtime, started, loop.time(), response.status)
    return response


def _finish(runtime: ServiceRuntime, started: float, ended: float, status: int) -> None:
    runtime.ledger.count("sim_requests_total", (runtime.name, str(status)))
    runtime.ledger.observe("sim_request_duration_seconds", (runtime.name,), ended - started)


async def _add_injected_header(request: web.Request, response: web.StreamResponse) -> None:
    value = request.get(_INJECTED)
    if value is not None:
        response.headers[INJECTED_HEADER] = value


def make_service_app(runtime: ServiceRuntime) -> web.Application:
    """The shell every service shares: fault middleware, runtime key, injected header."""
    app = web.Application(middlewares=[fault_middleware], client_max_size=64 * 1024)
    app[RUNTIME] = runtime
    app.on_response_prepare.append(_add_injected_header)
    return app
