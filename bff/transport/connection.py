"""One keep-alive connection: an asyncio.Protocol feeding httptools, one exchange at a time.

The connection never times anything itself: the client's one timer per request calls
`time_out()`. It ends the exchange exactly once: a Response, or a TransportError.
"""

from __future__ import annotations

import asyncio
import typing
from typing import TYPE_CHECKING

import httptools

from bff.errors import ConnectionReset, MalformedHttp, TransportError, TransportTimeout
from bff.transport.message import Response

if TYPE_CHECKING:
    from bff.transport.pool import HostPool


class _Refused(Exception):
    """Raised inside a parser callback; httptools wraps it, data_received unwraps it."""


class Connection(asyncio.Protocol):
    def __init__(self, pool: HostPool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = True
        self.answered = 0  # complete responses so far: 0 means a fresh connection
        self.idle_since = 0.0  # loop time it last went back into the pool
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Response] | None = None  # the exchange in flight
        self._reset_message()

    def _reset_message(self) -> None:
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._head_bytes = 0  # bytes received before the headers completed
        self._header_bytes = 0  # names and values, counted as the parser finds them
        self._body_bytes = 0
        self._headers_done = False
        self._delimited = False  # Content-Length or chunked; otherwise the body ends at EOF
        self._received = False

    # -- driven by the client ---------------------------------------------------------

    @property
    def usable(self) -> bool:
        return not self.closed and self.transport is not None and \
            not self.transport.is_closing()

    def send(self, request: bytes, waiter: asyncio.Future[Response]) -> None:
        assert self.transport is not None and self._waiter is None
        self._reset_message()
        self._waiter = waiter
        self.transport.write(request)

    def time_out(self, waiter: asyncio.Future[Response], seconds: float) -> None:
        if waiter is self._waiter:  # not an exchange that finished meanwhile, nor a later one
            self._fail(TransportTimeout(f"no complete answer within {seconds * 1000:.0f} ms"))

    def abort(self) -> None:
        """Drop the connection now: its state is unknown, so it must never be reused."""
        self.reusable = False
        if self.transport is not None:
            self.transport.abort()
        self._lost()

    def shut(self) -> None:
        """The client is closing: fail an exchange in flight, close an idle connection."""
        if self._waiter is not None:
            self._fail(ConnectionReset("the client was closed"))
        else:
            self.close_idle()

    def close_idle(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self._lost()

    # -- asyncio.Protocol -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = typing.cast(asyncio.Transport, transport)
        if self.closed:  # aborted while connecting (client closed): let go at once
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for: the stream is out of step
            self.abort()
            return
        self._received = True
        if not self._headers_done:
            self._head_bytes += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(MalformedHttp("the server switched protocols"))
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            self._fail(MalformedHttp(str(cause if isinstance(cause, _Refused) else exc)))
        else:
            if not self._headers_done and self._head_bytes > self.pool.limits.max_header_bytes:
                self._fail(MalformedHttp(
                    f"response headers over {self.pool.limits.max_header_bytes} bytes"))

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self._waiter is not None:
            if exc is None and self._headers_done and not self._delimited:
                self._complete()  # the body ran to the end of the connection
            elif self._received:
                self._fail(ConnectionReset(f"closed mid-answer ({_why(exc)})"))
            else:
                stale = exc is None and self.answered > 0
                self._fail(ConnectionReset(f"closed before any answer ({_why(exc)})", stale))
        self._lost()

    # -- httptools callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._waiter is None:  # a second answer behind the first: out of step
            raise _Refused("bytes after the end of the answer")

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered in (b"content-length", b"transfer-encoding"):
            self._delimited = True
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > self.pool.limits.max_header_bytes:
            raise _Refused(f"response headers over {self.pool.limits.max_header_bytes} bytes")
        self._headers.append((lowered, value))

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > self.pool.limits.max_body_bytes:
            raise _Refused(f"response body over {self.pool.limits.max_body_bytes} bytes")
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._parser.get_status_code() < 200:  # 100 Continue, 103 Early Hints: skip
            self._reset_message()
            self._received = True
            return
        self.reusable = self._parser.should_keep_alive()
        self._complete()

    # -- ending an exchange -----------------------------------------------------------

    def _complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is None:
            return
        self.answered += 1
        headers: dict[str, str] = {}
        for name, value in self._headers:
            key, text = name.decode("latin-1"), value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        status = self._parser.get_status_code()
        self._reset_message()
        if not waiter.done():
            waiter.set_result(Response(status, headers, body))
        if self.reusable and not self.closed:
            self.pool.release(self)
        else:
            self.close_idle()

    def _fail(self, error: TransportError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        self.abort()

    def _lost(self) -> None:
        if not self.closed:
            self.closed = True
            self.pool.forget(self)


def _why(exc: Exception | None) -> str:
    return "end of stream" if exc is None else type(exc).__name__
