"""Admin API (:9001): health, faults, timeline, state, Prometheus metrics and the ledger."""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sim import SERVICES
from sim.admin_guard import BodyError, guard_middleware, json_body, own_origins
from sim.errors import ConfigError
from sim.faults import parse_faults
from sim.http_errors import json_errors
from sim.process_stats import process_stats

if TYPE_CHECKING:
    from sim.host import SimHost

HOST: web.AppKey[SimHost] = web.AppKey("host")


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _service(request: web.Request) -> str:
    service = request.match_info["service"]
    if service not in SERVICES:
        raise web.HTTPNotFound(text=json.dumps(
            {"error": f"unknown service {service!r}", "allowed": list(SERVICES)}),
            content_type="application/json")
    return service


def _port_state(host: SimHost, name: str) -> str:
    return host.ports.state(name) if name in SERVICES else (
        "open" if host.listeners[name].listening else "closed")


async def health(request: web.Request) -> web.Response:
    host = request.app[HOST]
    states = {name: _port_state(host, name) for name in host.listeners}
    listeners: dict[str, Any] = {
        name: {"url": listener.url, "listening": listener.listening, "state": states[name]}
        for name, listener in host.listeners.items()}
    for name, problem in host.ports.problems.items():
        listeners[name]["error"] = problem
    # degraded: a port that should be open is not (taken by another process; rebinding)
    status = "degraded" if "rebinding" in states.values() else "ok"
    return web.json_response({"status": status, "listeners": listeners})


def _faults_view(host: SimHost) -> dict[str, Any]:
    """The faults in force per service, and `"port": "rebinding"` where the faults say the
    port should be open but another process holds it (/health has the reason)."""
    snapshot = host.control.snapshot()
    for service in host.ports.problems:
        if host.ports.state(service) == "rebinding":
            snapshot[service]["port"] = "rebinding"
    return snapshot


def _faults_answer(host: SimHost, service: str) -> web.Response:
    view = {service: _faults_view(host)[service]}
    problem = host.ports.problems.get(service)
    if problem is None or host.ports.state(service) != "rebinding":
        return web.json_response(view)
    # The faults changed as asked, but the port could not be reopened: say so (503),
    # while it is retried in the background (/health shows when it is back).
    return _error(503, f"{problem}; retrying in the background", service=service,
                  port="rebinding", **view)


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(_faults_view(request.app[HOST]))


async def put_faults(request: web.Request) -> web.Response:
    host = request.app[HOST]
    service = _service(request)
    try:
        body = await json_body(request)
    except BodyError as exc:
        return _error(400, f"{exc}; expected a list of fault objects such as "
                           '[{"type": "latency", "delay": "300ms"}]', field="body")
    if isinstance(body, dict) and set(body) == {"faults"}:
        body = body["faults"]
    try:
        faults = parse_faults(body, "faults")
    except ConfigError as exc:
        return _error(400, exc.one_line(), field=exc.field)
    host.control.set_override(service, faults)
    await host.sync_ports()
    return _faults_answer(host, service)


async def delete_faults(request: web.Request) -> web.Response:
    host = request.app[HOST]
    service = _service(request)
    host.control.clear_override(service)
    await host.sync_ports()
    return _faults_answer(host, service)


async def start_timeline(request: web.Request) -> web.Response:
    host = request.app[HOST]
    host.control.arm()
    await host.sync_ports()
    return web.json_response(host.control.timeline.position().to_dict())


def build_state(host: SimHost) -> dict[str, Any]:
    ledger = host.ledger
    requests = ledger.counter_values("sim_requests_total")
    injected = ledger.counter_values("sim_faults_injected_total")
    services: dict[str, Any] = {}
    for service in SERVICES:
        listener = host.listeners.get(service)
        if listener is None:
            continue
        latency = ledger.histograms.get(("sim_request_duration_seconds", (service,)))
        services[service] = {
            "url": listener.url,
            "listening": listener.listening,
            "requests": {labels[1]: n for labels, n in requests.items() if labels[0] == service},
            "faults_injected": {labels[1]: n for labels, n in injected.items()
                                if labels[0] == service},
            "latency": latency.summary() if latency else None,
        }
    state: dict[str, Any] = {
        "uptime": round(ledger.now(), 3),
        "seed": host.seed,
        "timeline": {**host.control.timeline.position().to_dict(),
                     "phases": [{"name": p.name, "duration": p.duration}
                                for p in host.config.plan.phases]},
        "faults": host.control.snapshot(),
        "decisions": host.control.decision_digests(),
        "services": services,
        "last_event_seq": ledger.last_seq,
        "process": process_stats(),
    }
    for name, section in host.state_sections.items():
        state[name] = section()
    return state


async def get_state(request: web.Request) -> web.Response:
    return web.json_response(build_state(request.app[HOST]))


async def metrics(request: web.Request) -> web.Response:
    from sim.exposition import exposition  # prometheus_client: at the first scrape

    host = request.app[HOST]
    body = exposition(host.ledger, host.gauges)
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


def _int_query(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= high:
        raise web.HTTPBadRequest(text=json.dumps(
            {"error": f"{name}: expected an integer in [0, {high}], got {raw[:50]!r}",
             "field": name}), content_type="application/json")
    return value


# An /events page is cut at this many bytes of JSON (and says so); with MAX_TEXT on every
# free-text field, 10,000 events of any size used to come to 81 MB in one answer.
EVENTS_MAX_BYTES = 1024 * 1024


async def events(request: web.Request) -> web.Response:
    ledger = request.app[HOST].ledger
    since = _int_query(request, "since", 0, 2**62)
    limit = _int_query(request, "limit", 1000, 10_000)
    kinds = request.query.get("kind")
    selected = frozenset(kinds.split(",")) if kinds else None
    page = ledger.events_page(since, limit, selected, EVENTS_MAX_BYTES)
    meta: dict[str, Any] = {"last_seq": ledger.last_seq, "oldest_seq": ledger.oldest_seq,
                            "next_since": page.next_since, "truncated": None}
    if page.cut is not None:
        query = f"since={page.next_since}&limit={limit}" + (f"&kind={kinds}" if kinds else "")
        meta["truncated"] = {
            "by": page.cut, "max_bytes": EVENTS_MAX_BYTES, "limit": limit,
            "next": f"/events?{query}",
            "message": f"more events match than one answer holds (cut by {page.cut}): "
                       f"ask again with since={page.next_since}"}
    body = '{"events":[' + ",".join(page.events) + "]," + json.dumps(meta)[1:]
    return web.Response(text=body, content_type="application/json")


def _auth_middleware(token: str) -> Any:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def check_token(request: web.Request, handler: Any) -> web.StreamResponse:
        # aiohttp keeps non-UTF-8 header bytes as surrogates; encode them back, never fail.
        given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            return _error(401, "Authorization: a Bearer token is required (--admin-token)")
        response: web.StreamResponse = await handler(request)
        return response

    return check_token


def create_admin_app(host: SimHost) -> web.Application:
    token = host.config.admin_token

    def origins() -> frozenset[str]:
        admin = host.listeners["admin"]
        return own_origins(admin.url, admin.port)

    middlewares = [json_errors] + ([_auth_middleware(token)] if token else []) + [
        guard_middleware(origins, check_origin=not token)]
    app = web.Application(middlewares=middlewares, client_max_size=256 * 1024)
    app[HOST] = host
    app.router.add_get("/health", health)
    app.router.add_get("/faults", get_faults)
    app.router.add_put("/faults/{service}", put_faults)
    app.router.add_delete("/faults/{service}", delete_faults)
    app.router.add_post("/timeline/start", start_timeline)
    app.router.add_get("/state", get_state)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/events", events)
    return app
