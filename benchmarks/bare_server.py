"""The reference point: a bare aiohttp handler with the same route and body, nothing else."""

from __future__ import annotations

import random
import sys

from aiohttp import web

from benchmarks.serving import serve_and_print_port
from sim import aio


async def inventory(request: web.Request) -> web.Response:
    int(request.match_info["id"])
    return web.json_response({"inventory": random.randint(0, 100)})


async def main(port: int) -> None:
    app = web.Application()
    app.router.add_get("/products/{id}/inventory", inventory)
    await serve_and_print_port(app, port)


if __name__ == "__main__":
    aio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
