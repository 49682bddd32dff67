"""A tiny scripted HTTP server on a loopback port, for answers the simulator never gives
(1xx, chunked, bodies to the close, broken HTTP), counting connections on its side."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from bff.transport import Origin

# One connection's script: read requests from the reader, write answers to the writer.
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class ScriptedServer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0  # accepted so far
        self.open = 0
        self.peak_open = 0
        self.requests = 0
        self.closed_by_client = 0  # connections the client dropped mid-script
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.peak_open = max(self.peak_open, self.open)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self.script(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.closed_by_client += 1
        finally:
            self.open -= 1
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def read_request(self, reader: asyncio.StreamReader) -> bool:
        """Read one request head; False when the client closed the connection instead."""
        try:
            await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        self.requests += 1
        return True


@contextlib.asynccontextmanager
async def scripted(script: Callable[[ScriptedServer, asyncio.StreamReader,
                                     asyncio.StreamWriter], Awaitable[None]],
                   ) -> AsyncIterator[tuple[ScriptedServer, Origin]]:
    holder: list[ScriptedServer] = []
    server = ScriptedServer(lambda reader, writer: script(holder[0], reader, writer))
    holder.append(server)
    listener = await asyncio.start_server(server._serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield server, Origin("127.0.0.1", port)
    finally:
        listener.close()
        for writer in list(server._writers):  # ends each script at its next read
            writer.transport.abort()
        await asyncio.gather(*server._tasks, return_exceptions=True)
        await listener.wait_closed()


def answer(body: bytes = b"{}", status: str = "200 OK", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body
