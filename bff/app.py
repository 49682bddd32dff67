"""The BFF (:9000): GET /products/all aggregates the four downstreams through their
policy pipelines, the book's way: products, favorites and cart at once, then inventory
once per product, at once. Status semantics: products timed out -> 504, products failed
-> 500 (unless a last-good fallback serves it); anything else degrades to null."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import typing
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bff.caller import CallResult, DownstreamCaller
from bff.context import RequestContext
from bff.decoders import DECODERS
from bff.policies.breaker import State
from bff.policyset import PolicySet
from bff.telemetry import Telemetry
from bff.transport import Limits, Transport
from sim import SERVICES
from sim.errors import ConfigError
from sim.host import SimHost
from sim.http_errors import json_errors
from sim.ledger import Ledger
from sim.metrics import Gauges
from sim.services.runtime import valid_id

STATES: tuple[str, ...] = typing.get_args(State)
USER_HEADER = "X-User-Id"
DEFAULT_USER = 3
REQUEST_ID_MAX = 128  # characters of a caller's X-Request-Id the BFF passes on
# Headroom past the deadline for writing the answer; the pipeline itself never overruns.
_GRACE = 0.05
# Open connections per downstream; past it, attempts wait for one (inside their timeout).
# 4 x 256 stays under the usual 1024 open files with room for the BFF's own clients.
DOWNSTREAM_CONNECTIONS = 256


@dataclass
class Bff:
    policy: PolicySet
    urls: Mapping[str, str]
    telemetry: Telemetry
    seed: int
    callers: dict[str, DownstreamCaller] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_request_id(self) -> str:
        return f"bff-{next(self._ids)}"

    def request_id(self, header: str | None) -> str:
        """The caller's X-Request-Id if it is 1-128 printable ASCII characters, else one
        of the BFF's own: every downstream GET carries it, and HTTP cannot carry the rest."""
        if header and len(header) <= REQUEST_ID_MAX and header.isascii() and \
                header.isprintable():
            return header
        return self.next_request_id()

    def snapshot(self) -> dict[str, Any]:
        """Live policy state for /state: breakers, budgets, bulkheads."""
        out: dict[str, Any] = {"policy": self.policy.name}
        for name, caller in self.callers.items():
            out[name] = {
                "breaker": caller.breaker.snapshot() if caller.breaker else None,
                "budget": caller.budget.snapshot() if caller.budget else None,
                "bulkhead": {"in_use": caller.bulkhead.in_use, "peak": caller.bulkhead.peak,
                             "rejected": caller.bulkhead.rejected,
                             "max_concurrent": caller.bulkhead.max_concurrent},
            }
        return out


BFF = web.AppKey("bff", Bff)


def _json_error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _user_id(request: web.Request) -> int:
    header = request.headers.get(USER_HEADER)
    field, raw = (USER_HEADER, header) if header else ("user_id", request.query.get("user_id"))
    if raw is None:
        return DEFAULT_USER
    # ASCII digits only: int() also reads "１", "١٢", "1_0" and "+1 " as numbers.
    user = valid_id(raw) if raw.isascii() and raw.isdigit() else None
    if user is None:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"{field} must be an integer from 0 to 2**63-1",
                             "field": field}),
            content_type="application/json")
    return user


async def all_products(request: web.Request) -> web.Response:
    bff = request.app[BFF]
    if request.body_exists:  # a GET needs none; past client_max_size read() answers 413
        await request.read()
    user = _user_id(request)
    loop = asyncio.get_running_loop()
    started = loop.time()
    policy = bff.policy
    ctx = RequestContext(bff.request_id(request.headers.get("X-Request-Id")),
                         loop.time, started + policy.deadline, started + policy.deadline)
    try:
        async with asyncio.timeout(policy.deadline + _GRACE):
            response = await _aggregate(bff, ctx, user)
    except TimeoutError:  # belt and braces: the stages should always end in time
        response = _json_error(504, "the BFF's request deadline expired")
        _finish(bff, "504", started, loop.time())
    if isinstance(response, bytes):  # the common case: one Response, all headers at once
        return web.Response(body=response, headers={
            "Content-Type": JSON_CONTENT_TYPE, "Server-Timing": ctx.server_timing(),
            "X-Request-Id": ctx.request_id})
    response.headers["Server-Timing"] = ctx.server_timing()
    response.headers["X-Request-Id"] = ctx.request_id
    return response


async def _aggregate(bff: Bff, ctx: RequestContext, user: int) -> web.Response | bytes:
    """The 200 answer's body, or an error response (products failed or timed out)."""
    callers = bff.callers
    ctx.enter_stage(bff.policy.catalogue_wait)
    started = ctx.deadline - bff.policy.deadline
    # A TaskGroup, so no call outlives the stage: an unexpected error cancels the
    # siblings, and once products has failed for good the answer is decided, so favorites
    # and cart are cancelled rather than waited for (unless the policy waits for all
    # three first, as listing 10.8's asyncio.wait does).
    async with asyncio.TaskGroup() as stage:
        catalogue = stage.create_task(callers["products"].call("/products", "all", ctx))
        siblings = (
            stage.create_task(callers["favorites"].call(f"/users/{user}/favorites", user,
                                                        ctx)),
            stage.create_task(callers["cart"].call(f"/users/{user}/cart", user, ctx)),
        )
        products = await catalogue
        if products.value is None and not bff.policy.wait_for_whole_catalogue:
            for task in siblings:
                task.cancel()
    if products.value is None:
        if products.timed_out:
            _finish(bff, "504", started, ctx.clock())
            return _json_error(504, "could not reach the products service in time",
                               cause=products.outcome)
        _finish(bff, "500", started, ctx.clock())
        return _json_error(500, "the products service failed", cause=products.outcome)
    favorites, cart = (task.result() for task in siblings)
    ctx.enter_stage(bff.policy.inventory_wait)
    product_ids: list[int] = products.value
    inventory = callers["inventory"]
    async with asyncio.TaskGroup() as stage:
        calls = [stage.create_task(inventory.call(
            f"/products/{pid}/inventory", pid, ctx, timing_name=f"inventory-{pid}"))
            for pid in product_ids]
    stock = [task.result() for task in calls]
    degraded = [name for name, result in (("products", products), ("favorites", favorites),
                                          ("cart", cart)) if result.fallback]
    if any(result.fallback for result in stock):
        degraded.append("inventory")
    _finish(bff, "degraded" if degraded else "complete", started, ctx.clock())
    return encode_answer(_count(cart), _count(favorites), product_ids,
                         [result.value for result in stock], degraded)


def encode_answer(cart_items: int | None, favorite_items: int | None, product_ids: list[int],
                  stock: list[int | None], degraded: list[str]) -> bytes:
    """The 200 body, byte for byte what json.dumps gives for
    {"cart_items", "favorite_items", "products": [{"product_id", "inventory"}],
    "degraded"}, in a fifth of its time: every value is an int (never a bool: the
    decoders refuse them) or None, and `degraded` holds the downstreams' own names."""
    products = ", ".join([_PRODUCT % (pid, _number(value))
                          for pid, value in zip(product_ids, stock, strict=True)])
    names = ", ".join([f'"{name}"' for name in degraded])
    return (_ANSWER % (_number(cart_items), _number(favorite_items), products,
                       names)).encode()


_ANSWER = '{"cart_items": %s, "favorite_items": %s, "products": [%s], "degraded": [%s]}'
_PRODUCT = '{"product_id": %d, "inventory": %s}'
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def _number(value: int | None) -> str:
    return "null" if value is None else int.__repr__(value)  # what json.dumps writes


def _count(result: CallResult) -> int | None:
    return result.value if isinstance(result.value, int) else None


def _finish(bff: Bff, outcome: str, started: float, ended: float) -> None:
    bff.telemetry.count("bff_requests_total", (outcome,))
    bff.telemetry.observe("bff_request_duration_seconds", (outcome,), ended - started)


def create_app(policy: PolicySet, urls: Mapping[str, str], ledger: Ledger,
               seed: int = 0) -> web.Application:
    """The BFF app; `urls` maps each downstream to its base URL."""
    app = web.Application(middlewares=[json_errors], client_max_size=64 * 1024)
    bff = Bff(policy, dict(urls), Telemetry(ledger), seed)
    app[BFF] = bff

    async def downstream_transport(app: web.Application) -> AsyncIterator[None]:
        # One client for the whole BFF: a keep-alive pool per downstream. It never re-sends
        # a request the server may have seen: the BFF's retries are the only ones.
        transport = Transport(Limits(per_host=DOWNSTREAM_CONNECTIONS))
        loop = asyncio.get_running_loop()
        try:
            for index, name in enumerate(SERVICES):
                bff.callers[name] = DownstreamCaller(
                    name, urls[name], policy.downstream(name), transport, bff.telemetry,
                    loop.time, DECODERS[name], random.Random(f"{seed}:bff:{name}:{index}"))
            yield
        finally:
            for caller in bff.callers.values():
                caller.close()
            await transport.close()

    app.cleanup_ctx.append(downstream_transport)
    app.router.add_get("/products/all", all_products)
    return app


async def attach_bff(host: SimHost, policy: PolicySet, port: int,
                     urls: Mapping[str, str] | None = None, bind: str | None = None) -> Bff:
    """Serve the BFF next to the simulated services (or `urls`: downstreams elsewhere),
    reporting into the host's ledger, /state and /metrics."""
    downstreams = dict(urls) if urls is not None else {s: host.urls[s] for s in SERVICES}
    missing = [s for s in SERVICES if s not in downstreams]
    if missing:
        raise ConfigError("--only", f"the BFF needs all four downstreams; missing: "
                                    f"{', '.join(missing)}")
    app = create_app(policy, downstreams, host.ledger, host.seed)
    await host.add_listener("bff", app, bind or host.config.host, port)
    bff = app[BFF]
    host.state_sections["bff"] = bff.snapshot
    host.gauge_providers.append(lambda: _breaker_gauges(bff))
    return bff


def _breaker_gauges(bff: Bff) -> Gauges:
    states: dict[tuple[str, ...], float] = {}
    for name, caller in bff.callers.items():
        if caller.breaker is not None:
            current = caller.breaker.state
            for state in STATES:
                states[(name, state)] = float(state == current)
    return {"bff_breaker_state": states}
