"""A port the host serves on, whose listening socket can be closed and reopened (the
`down` fault). Two kinds: `Listener` runs an aiohttp app (admin API, BFF, web parts);
sim/services/server.py runs a simulated service on the raw protocol."""

from __future__ import annotations

import errno
from abc import ABC, abstractmethod

from aiohttp import web

from sim.errors import PortInUseError
from sim.http_errors import log_client_errors_in_one_line

SHUTDOWN_TIMEOUT = 0.25  # hung handlers are cancelled after this on stop: Ctrl-C is quick

# Request size limits on every port (docs/admin-api.md#limits). A request over them is
# refused by aiohttp's parser with a 400 before any handler runs; bodies are capped per
# app by `client_max_size` (413, JSON). The services check the same limits themselves
# (sim/services/protocol.py).
MAX_LINE_BYTES = 8190  # the request line and each header line
MAX_HEADERS = 64


def bind_error(name: str, host: str, port: int, exc: OSError) -> PortInUseError:
    reason = "address already in use" if exc.errno == errno.EADDRINUSE else str(exc)
    return PortInUseError(name, host, port, reason)


class Port(ABC):
    def __init__(self, name: str, host: str, port: int) -> None:
        self.name = name
        self.host = host
        self.port = port  # the requested port until started, then the bound one

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    @abstractmethod
    def listening(self) -> bool: ...

    @abstractmethod
    async def start(self) -> None:
        """Set up and open the port; PortInUseError if it cannot be bound."""

    @abstractmethod
    async def open(self) -> None:
        """Listen again after close_port; PortInUseError if the port was taken meanwhile."""

    @abstractmethod
    async def close_port(self) -> None:
        """Refuse new connections and drop open ones, as a crashed process would."""

    @abstractmethod
    async def stop(self) -> None: ...


class Listener(Port):
    """One aiohttp app on one port."""

    def __init__(self, name: str, app: web.Application, host: str, port: int) -> None:
        super().__init__(name, host, port)
        self.app = app
        log_client_errors_in_one_line()
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None,
                                     shutdown_timeout=SHUTDOWN_TIMEOUT,
                                     max_line_size=MAX_LINE_BYTES,
                                     max_field_size=MAX_LINE_BYTES, max_headers=MAX_HEADERS)
        self._site: web.TCPSite | None = None
        self._set_up = False

    @property
    def listening(self) -> bool:
        return self._site is not None

    async def start(self) -> None:
        await self._runner.setup()
        self._set_up = True
        await self.open()

    async def open(self) -> None:
        if self._site is not None:
            return
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            raise bind_error(self.name, self.host, self.port, exc) from None
        self.port = site.port
        self._site = site

    async def close_port(self) -> None:
        if self._site is None:
            return
        await self._site.stop()
        self._site = None
        server = self._runner.server
        if server is not None:
            for connection in server.connections:
                connection.force_close()

    async def stop(self) -> None:
        self._site = None
        if self._set_up:
            await self._runner.cleanup()
            self._set_up = False
