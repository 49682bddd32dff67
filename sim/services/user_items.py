"""favorites (:8002) and cart (:8003): GET /users/{id}/<route> -> [{"product_id"}].

The book's two services share one data model and differ only in table and route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
from aiohttp import web

from sim.services.runtime import ServiceRuntime, make_service_app, parse_id

DB = web.AppKey("user_items_db", aiosqlite.Connection)
TABLE = web.AppKey("user_items_table", str)

ROUTES = {"favorites": ("user_favorite", "/users/{id}/favorites"),
          "cart": ("user_cart", "/users/{id}/cart")}


async def list_user_items(request: web.Request) -> web.Response:
    user_id = parse_id(request)
    # The table name comes from ROUTES above, never from the request.
    query = f"SELECT product_id FROM {request.app[TABLE]} WHERE user_id = ? ORDER BY product_id"
    async with request.app[DB].execute(query, (user_id,)) as cursor:
        rows = await cursor.fetchall()
    return web.json_response([{"product_id": row[0]} for row in rows])


def create_app(runtime: ServiceRuntime, db_path: Path) -> web.Application:
    table, route = ROUTES[runtime.name]
    app = make_service_app(runtime)
    app[TABLE] = table

    async def database(app: web.Application) -> AsyncIterator[None]:
        async with aiosqlite.connect(db_path) as db:
            app[DB] = db
            yield

    app.cleanup_ctx.append(database)
    app.router.add_get(route, list_user_items)
    return app
