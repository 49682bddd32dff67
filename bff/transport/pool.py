"""One host's keep-alive pool: idle connections (most recently used first) and a cap on
open ones; callers over the cap wait for a connection to come back or close."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from dataclasses import dataclass
from typing import Protocol

from bff.errors import ClientClosed, ConnectFailed
from bff.transport.connection import Connection
from bff.transport.message import Origin


@dataclass(frozen=True)
class Limits:
    per_host: int | None = 256  # open connections per downstream; None: no cap
    max_header_bytes: int = 64 * 1024  # status line and headers of one answer
    max_body_bytes: int = 16 * 1024 * 1024
    idle_timeout: float = 15.0  # seconds an unused kept-alive connection stays open

    def __post_init__(self) -> None:
        for name in ("max_header_bytes", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not self.idle_timeout > 0:
            raise ValueError("idle_timeout must be over 0 seconds")
        if self.per_host is not None and self.per_host < 1:
            raise ValueError("per_host must be at least 1, or None for no cap")


class Queued(Protocol):
    """Told whether its request is queued for a connection (the per-host cap reached), so
    a timer firing then is a PoolTimeout, not a timeout of the downstream."""

    queued: bool


class HostPool:
    def __init__(self, origin: Origin, limits: Limits) -> None:
        self.origin = origin
        self.limits = limits
        self.idle: list[Connection] = []  # oldest first; reuse takes the newest
        self.open: set[Connection] = set()  # every connection, opening, busy or idle
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._sweep: asyncio.TimerHandle | None = None

    async def acquire(self, queued: Queued | None = None) -> Connection:
        while True:
            while self.idle:
                connection = self.idle.pop()
                if connection.usable:
                    return connection
                connection.close_idle()  # the server's close is being processed
            cap = self.limits.per_host
            if cap is None or len(self.open) < cap:
                return await self._connect()
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            if queued is not None:
                queued.queued = True
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken but leaving: pass the turn on
                else:
                    self._waiters.remove(waiter)
                raise
            finally:
                if queued is not None:
                    queued.queued = False

    async def _connect(self) -> Connection:
        connection = Connection(self)
        self.open.add(connection)
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: connection, self.origin.host,
                                         self.origin.port)
        except OSError as exc:
            connection.abort()
            raise ConnectFailed(f"{self.origin.authority}: {exc.strerror or exc}") from None
        except BaseException:  # cancelled, or timed out by the client's timer
            connection.abort()
            raise
        if connection.closed:  # the client was closed while this connection was opening
            raise ClientClosed(f"{self.origin.authority}: the client is closed")
        return connection

    def release(self, connection: Connection) -> None:
        """A connection that finished an answer cleanly and may be reused."""
        loop = asyncio.get_running_loop()
        connection.idle_since = loop.time()
        self.idle.append(connection)
        if self._sweep is None:
            self._sweep = loop.call_at(connection.idle_since + self.limits.idle_timeout,
                                       self._close_expired)
        self._wake()

    def _close_expired(self) -> None:
        """Close connections idle past the timeout, then sleep until the next expiry: one
        timer per pool, not one per connection."""
        self._sweep = None
        loop = asyncio.get_running_loop()
        expired_before = loop.time() - self.limits.idle_timeout
        while self.idle and self.idle[0].idle_since <= expired_before:
            self.idle.pop(0).close_idle()
        if self.idle:
            self._sweep = loop.call_at(self.idle[0].idle_since + self.limits.idle_timeout,
                                       self._close_expired)

    def forget(self, connection: Connection) -> None:
        """A connection that closed: it frees a place under the cap."""
        self.open.discard(connection)
        with contextlib.suppress(ValueError):
            self.idle.remove(connection)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        """Close every connection, busy ones too (their callers get ConnectionReset)."""
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for connection in list(self.open):
            connection.shut()
        # Each socket is let go of on the loop's next turn: no unclosed-transport warnings.
        await asyncio.sleep(0)
