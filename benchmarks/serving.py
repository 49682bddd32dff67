"""What every benchmark server process does: serve one app, print its port, wait."""

from __future__ import annotations

import asyncio

from aiohttp import web


async def serve_and_print_port(app: web.Application, port: int) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(site.port, flush=True)  # the benchmark reads the bound port from stdout
    await asyncio.Event().wait()
