"""inventory (:8001): GET /products/{id}/inventory -> {"inventory": 0..100}, seeded."""

from __future__ import annotations

import random

from aiohttp import web

from sim.services.runtime import ServiceRuntime, make_service_app, parse_id

STOCK_RNG = web.AppKey("stock_rng", random.Random)


async def get_inventory(request: web.Request) -> web.Response:
    parse_id(request)
    return web.json_response({"inventory": request.app[STOCK_RNG].randint(0, 100)})


def create_app(runtime: ServiceRuntime, seed: int) -> web.Application:
    app = make_service_app(runtime)
    # Its own stream: stock values do not shift when fault decisions change.
    app[STOCK_RNG] = random.Random(f"{seed}:inventory:stock")
    app.router.add_get("/products/{id}/inventory", get_inventory)
    return app
