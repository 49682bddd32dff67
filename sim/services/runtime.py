"""What a service app shares with the host: its name, fault control and ledger.

The fault middleware is here: it decides once per request (header override > admin >
phase > base), records what it injected, and times and counts every answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sim.control import FaultControl
from sim.engine import NO_FAULT, Decision
from sim.errors import ConfigError
from sim.events import FaultInjected, RequestAbandoned
from sim.faults import parse_fault_header
from sim.faults.base import INJECTED_HEADER, INJECTED_KEY
from sim.faults.reset import ConnectionDropped
from sim.http_errors import json_errors
from sim.ledger import Ledger

FAULT_HEADER = "X-Sim-Fault"
REQUEST_ID_HEADER = "X-Request-Id"
TIMER_LEAD = 0.0005


@dataclass
class ServiceRuntime:
    name: str
    control: FaultControl
    ledger: Ledger
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _status_keys: dict[object, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def next_request_id(self) -> str:
        return f"{self.name}-{next(self._ids)}"

    def request_id(self, request: web.Request) -> str:
        return request.headers.get(REQUEST_ID_HEADER) or self.next_request_id()

    def finish(self, started: float, ended: float, status: object) -> None:
        """Count and time one answer; keys are cached because this runs on every request."""
        key = self._status_keys.get(status)
        if key is None:
            key = self._status_keys[status] = ("sim_requests_total", (self.name, str(status)))
        self.ledger.counters[key] += 1
        if isinstance(status, int):
            self.ledger.observe("sim_request_duration_seconds", (self.name,), ended - started)


RUNTIME = web.AppKey("runtime", ServiceRuntime)


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


MAX_ID = 2**63 - 1  # SQLite's INTEGER; a larger id would crash the query


def valid_id(raw: str) -> int | None:
    """An id from a path, header or query: an integer from 0 to MAX_ID, else None."""
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 <= value <= MAX_ID else None


def parse_id(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    value = valid_id(raw)
    if value is None:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"{name} must be an integer from 0 to 2**63-1",
                             "field": name, "got": raw[:100]}),
            content_type="application/json")
    return value


@web.middleware
async def fault_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    loop = asyncio.get_running_loop()
    started = loop.time()
    header = request.headers.get(FAULT_HEADER)
    if header is None:
        faults, source = runtime.control.current(runtime.name)
    else:
        try:
            faults, source = parse_fault_header(header), "header"
        except ConfigError as exc:
            return json_error(400, exc.one_line(), field=exc.field)
    decision = NO_FAULT
    if faults:
        decision = runtime.control.engines[runtime.name].decide(
            faults, request_key(request), from_header=source == "header")
        _record_injections(runtime, request, started, decision, source)
    request[INJECTED_KEY] = decision.header_value()
    try:
        if decision.delay:
            # Aim at a deadline from arrival, a little early: loop timers have millisecond
            # granularity and fire up to ~1 ms late, so this centres the observed delay.
            await asyncio.sleep(started + decision.delay - TIMER_LEAD - loop.time())
        if decision.terminal is not None and decision.terminal_injection is not None:
            response = await decision.terminal.respond(
                request, decision.terminal_injection, handler)
        else:
            response = await handler(request)
    except ConnectionDropped:
        runtime.finish(started, loop.time(), "reset")
        # The transport is gone; cancelling is how aiohttp drops a request quietly.
        raise asyncio.CancelledError from None
    except web.HTTPException as exc:
        exc.headers[INJECTED_HEADER] = request[INJECTED_KEY]
        runtime.finish(started, loop.time(), exc.status)
        raise
    except asyncio.CancelledError:
        ended = loop.time()
        runtime.ledger.emit(RequestAbandoned(runtime.ledger.at(ended), runtime.name,
                                             runtime.request_id(request), ended - started))
        runtime.finish(started, ended, "abandoned")
        raise
    if not response.prepared:
        response.headers[INJECTED_HEADER] = request[INJECTED_KEY]
    runtime.finish(started, loop.time(), response.status)
    return response


def request_key(request: web.Request) -> Callable[[], str]:
    """fail_first counts per method + path + query; built only when a plan needs it."""
    return lambda: f"{request.method} {request.path_qs}"


def _record_injections(runtime: ServiceRuntime, request: web.Request, started: float,
                       decision: Decision, source: str) -> None:
    if not decision.injections:
        return
    ledger = runtime.ledger
    now = ledger.at(started)
    request_id = runtime.request_id(request)
    for injection in decision.injections:
        ledger.emit(FaultInjected(now, runtime.name, request_id, injection.kind,
                                  injection.delay, injection.params, source))
        ledger.count("sim_faults_injected_total", (runtime.name, injection.kind))


def make_service_app(runtime: ServiceRuntime) -> web.Application:
    """The shell every service shares: the runtime under its key, the fault middleware."""
    app = web.Application(middlewares=[json_errors, fault_middleware],
                          client_max_size=64 * 1024)
    app[RUNTIME] = runtime
    return app
