"""A simulated service's port: an asyncio server of ServiceProtocol connections."""

from __future__ import annotations

import asyncio

from sim.listener import SHUTDOWN_TIMEOUT, Port, bind_error
from sim.services.protocol import ServiceProtocol
from sim.services.runtime import ServiceRuntime


class ServiceListener(Port):
    def __init__(self, runtime: ServiceRuntime, host: str, port: int) -> None:
        super().__init__(runtime.name, host, port)
        self.runtime = runtime
        self.connections: set[ServiceProtocol] = set()
        self._server: asyncio.Server | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        await self.open()

    async def open(self) -> None:
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        try:
            server = await loop.create_server(
                lambda: ServiceProtocol(self.runtime, self.connections), self.host, self.port,
                reuse_address=True)
        except OSError as exc:
            raise bind_error(self.name, self.host, self.port, exc) from None
        self.port = server.sockets[0].getsockname()[1]
        self._server = server

    async def close_port(self) -> None:
        self._close_server()
        for connection in list(self.connections):
            connection.close()

    async def stop(self) -> None:
        """Stop listening, let answers in progress finish for a moment, then close."""
        self._close_server()
        tasks = {c.task for c in self.connections if c.task is not None}
        if tasks:
            await asyncio.wait(tasks, timeout=SHUTDOWN_TIMEOUT)
        tasks = {c.task for c in self.connections if c.task is not None}
        for connection in list(self.connections):
            connection.abort()
        for task in tasks:  # cancelled now, not on connection_lost: counted before we return
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=SHUTDOWN_TIMEOUT)

    def _close_server(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
