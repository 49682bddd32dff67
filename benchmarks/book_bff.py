"""Reference aggregator written the book's way (listing 10.10): a new ClientSession for
every request, asyncio.wait with 1 s timeouts, inventory calls as tasks. Benchmark only.

Usage: python benchmarks/book_bff.py PORT PRODUCTS_URL INVENTORY_URL FAVORITES_URL CART_URL
       [DELAY_SECONDS]  (added to every answer: a deliberately slower build, for `sim ab`)
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks.serving import serve_and_print_port
from sim import aio


def make_app(products: str, inventory: str, favorites: str, cart: str) -> web.Application:
    async def all_products(request: web.Request) -> web.Response:
        async with aiohttp.ClientSession() as session:
            calls = {
                "products": asyncio.create_task(session.get(f"{products}/products")),
                "favorites": asyncio.create_task(session.get(f"{favorites}/users/3/favorites")),
                "cart": asyncio.create_task(session.get(f"{cart}/users/3/cart")),
            }
            done, pending = await asyncio.wait(calls.values(), timeout=1.0)
            for task in pending:
                task.cancel()
            if calls["products"] in pending:
                return web.json_response({"error": "products timed out"}, status=504)
            if calls["products"].exception() is not None:
                return web.json_response({"error": "products failed"}, status=500)
            rows = await calls["products"].result().json()
            stock = {
                asyncio.create_task(session.get(f"{inventory}/products/{row['product_id']}"
                                                f"/inventory")): row["product_id"]
                for row in rows
            }
            stock_done, stock_pending = await asyncio.wait(stock, timeout=1.0)
            for task in stock_pending:
                task.cancel()
            results = []
            for task, pid in stock.items():
                value = None
                if task in stock_done and task.exception() is None:
                    value = (await task.result().json())["inventory"]
                results.append({"product_id": pid, "inventory": value})
            counts = {}
            for name in ("favorites", "cart"):
                task = calls[name]
                ok = task in done and task.exception() is None
                counts[name] = len(await task.result().json()) if ok else None
            return web.json_response({"cart_items": counts["cart"],
                                      "favorite_items": counts["favorites"],
                                      "products": results})

    app = web.Application()
    app.router.add_get("/products/all", all_products)
    return app


def delayed(app: web.Application, seconds: float) -> web.Application:
    @web.middleware
    async def late(request: web.Request, handler: Any) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        response: web.StreamResponse = await handler(request)
        return response

    app.middlewares.append(late)
    return app


async def main(port: int, urls: list[str], delay: float) -> None:
    app = make_app(*urls)
    await serve_and_print_port(delayed(app, delay) if delay else app, port)


if __name__ == "__main__":
    aio.run(main(int(sys.argv[1]), sys.argv[2:6], float(sys.argv[6]) if sys.argv[6:] else 0))
