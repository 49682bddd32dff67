"""The Transport: GET through per-host keep-alive pools under one timer per request."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from bff.errors import ClientClosed, ConnectionReset, PoolTimeout, TransportTimeout
from bff.transport.connection import Connection
from bff.transport.message import Origin, Response, encode_get
from bff.transport.pool import HostPool, Limits


class _Timer:
    """The request's one timer (loop.call_at), for connect, pool wait, headers and body.
    While no connection is in hand it cancels the waiting task; once one is, it ends the
    exchange on that connection instead (and the connection is dropped)."""

    __slots__ = ("connection", "fired", "queued", "queued_when_fired", "seconds", "task",
                 "waiter")

    def __init__(self, task: asyncio.Task[object] | None, seconds: float) -> None:
        self.task = task
        self.seconds = seconds
        self.connection: Connection | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.fired = False
        self.queued = False  # waiting for a pooled connection (HostPool.acquire sets it)
        self.queued_when_fired = False

    def __call__(self) -> None:
        self.fired = True
        self.queued_when_fired = self.queued
        if self.connection is not None and self.waiter is not None:
            self.connection.time_out(self.waiter, self.seconds)
        elif self.task is not None:
            self.task.cancel()


class Transport:
    """A small HTTP/1.1 client for the BFF's downstream GETs. Statuses are answers, not
    errors; everything else that can go wrong is a TransportError (bff/errors.py)."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._pools: dict[Origin, HostPool] = {}
        self._closed = False

    def pool(self, origin: Origin) -> HostPool:
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = HostPool(origin, self.limits)
        return pool

    # The timeout is a parameter, not asyncio.timeout() around the call: when it fires
    # mid-exchange it must drop that connection, and one call_at is the cheapest timer.
    async def get(self, origin: Origin, path: str, headers: Mapping[str, str] | None = None,
                  timeout: float | None = None) -> Response:  # noqa: ASYNC109
        """One GET; `timeout` (seconds) covers connect, waiting for a pooled connection,
        the headers and the whole body."""
        if self._closed:
            raise ClientClosed(f"{origin.authority}: the client is closed")
        if timeout is not None and timeout <= 0:
            raise TransportTimeout("no time left for the request")
        request = encode_get(origin, path, headers)
        loop = asyncio.get_running_loop()
        timer: _Timer | None = None
        handle = None
        if timeout is not None:
            timer = _Timer(asyncio.current_task(), timeout)
            handle = loop.call_at(loop.time() + timeout, timer)
        try:
            return await self._exchange(self.pool(origin), request, timer)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if timer is not None and timer.connection is None and timer.fired and \
                    task is not None and task.uncancel() == 0:
                if timer.queued_when_fired:  # nothing sent, not even a connection opened
                    raise PoolTimeout(f"no pooled connection free within "
                                      f"{timer.seconds * 1000:.0f} ms") from None
                raise TransportTimeout(
                    f"no connection within {timer.seconds * 1000:.0f} ms") from None
            raise
        finally:
            if handle is not None:
                handle.cancel()

    async def _exchange(self, pool: HostPool, request: bytes, timer: _Timer | None) -> Response:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            connection = await pool.acquire(timer)
            waiter: asyncio.Future[Response] = loop.create_future()
            if timer is not None:
                timer.connection, timer.waiter = connection, waiter
            connection.send(request, waiter)
            try:
                return await waiter
            except ConnectionReset as exc:
                # Retry once, only when the server had closed a kept-alive connection just
                # before our request reached it: the request was never seen. A reset (RST)
                # is not retried: the server may have seen it, and the BFF's retries are
                # the only ones (each would be counted at the simulator).
                if not exc.stale or attempt == 2:
                    raise
            except asyncio.CancelledError:
                if not waiter.done() or waiter.cancelled():
                    connection.abort()  # half-read: never back into the pool
                raise
            finally:
                if timer is not None:
                    timer.connection = timer.waiter = None
        raise AssertionError("unreachable")

    async def close(self) -> None:
        self._closed = True
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.close()

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
