"""products (:8000): GET /products -> [{"product_id", "product_name"}], from products.db."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
from aiohttp import web

from sim.services.runtime import ServiceRuntime, make_service_app

DB = web.AppKey("products_db", aiosqlite.Connection)


async def list_products(request: web.Request) -> web.Response:
    async with request.app[DB].execute(
        "SELECT product_id, product_name FROM product ORDER BY product_id"
    ) as cursor:
        rows = await cursor.fetchall()
    return web.json_response([{"product_id": pid, "product_name": name} for pid, name in rows])


def create_app(runtime: ServiceRuntime, db_path: Path) -> web.Application:
    app = make_service_app(runtime)

    async def database(app: web.Application) -> AsyncIterator[None]:
        async with aiosqlite.connect(db_path) as db:
            app[DB] = db
            yield

    app.cleanup_ctx.append(database)
    app.router.add_get("/products", list_products)
    return app
