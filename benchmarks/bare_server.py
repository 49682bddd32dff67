"""The reference points: the inventory route with the same body and nothing else, served
by a bare aiohttp handler (the simulator's old server stack) or by a bare asyncio.Protocol
with httptools (the floor of the services' stack since 2026-12).

Usage: python benchmarks/bare_server.py PORT [aiohttp|protocol]
"""

from __future__ import annotations

import asyncio
import random
import sys

import httptools
from aiohttp import web

from benchmarks.serving import serve_and_print_port
from sim import aio


async def inventory(request: web.Request) -> web.Response:
    int(request.match_info["id"])
    return web.json_response({"inventory": random.randint(0, 100)})


class BareProtocol(asyncio.Protocol):
    """Keep-alive HTTP/1.1, one route, no limits, no faults, no metrics: the cheapest
    answer this stack can give."""

    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_message_complete(self) -> None:
        int(self.url.split(b"/")[2])
        body = b'{"inventory": %d}' % random.randint(0, 100)
        assert self.transport is not None
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json; "
                             b"charset=utf-8\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))


async def serve_protocol(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(BareProtocol, "127.0.0.1", port)
    print(server.sockets[0].getsockname()[1], flush=True)  # the benchmark reads it
    await asyncio.Event().wait()


async def serve_aiohttp(port: int) -> None:
    app = web.Application()
    app.router.add_get("/products/{id}/inventory", inventory)
    await serve_and_print_port(app, port)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    kind = sys.argv[2] if len(sys.argv) > 2 else "aiohttp"
    aio.run(serve_protocol(port) if kind == "protocol" else serve_aiohttp(port))
