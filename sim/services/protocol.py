"""One client connection to a simulated service: HTTP/1.1 on asyncio.Protocol + httptools.

Keep-alive and pipelining: requests are answered strictly in order; while one answer
waits (latency, hang, slow_body) the next ones queue, and reading pauses when too many
queue. Size limits (docs/admin-api.md#limits) are checked while parsing, so nothing over
them is buffered; the refusal is a JSON error, after which the connection closes.
Each request is counted on arrival, then once as answered, reset or abandoned (metrics.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections import deque
from typing import cast
from urllib.parse import unquote

import httptools

from sim.faults.answers import Reply
from sim.http_errors import log
from sim.services.exchange import Pending, abandoned, answer, refuse
from sim.services.responses import encode, head, http_error
from sim.services.runtime import Request, ServiceRuntime

MAX_LINE_BYTES = 8190  # the request line and each header line
MAX_HEADERS = 64
MAX_BODY_BYTES = 64 * 1024
# Bytes a header section may take before it is refused even if no single line is over:
# httptools gathers a header across reads, so this bounds what one request can buffer.
MAX_HEADER_SECTION = (MAX_HEADERS + 1) * (MAX_LINE_BYTES + 2)
MAX_QUEUED = 32  # pipelined requests waiting behind a slow answer before reading pauses
REFUSAL_LINGER = 1.0  # s to keep reading (and discarding) after a refusal, so the client
# reads the error instead of a reset caused by its own unread bytes
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_WATCHED_LENGTHS = frozenset(map(len, ("x-sim-fault", "x-request-id", "content-length", "expect")))


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


class ServiceProtocol(asyncio.Protocol):
    def __init__(self, runtime: ServiceRuntime, connections: set[ServiceProtocol]) -> None:
        self._runtime = runtime
        self._connections = connections
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._queue: deque[Request] = deque()
        self.task: asyncio.Task[None] | None = None
        self._closed = False  # nothing more is written or answered
        self._discarding = False  # input after a refusal or an upgrade is not parsed
        self._read_paused = self._write_paused = False
        self._linger: asyncio.TimerHandle | None = None
        self._reset_message()

    def _reset_message(self) -> None:
        self._url = b""
        self._headers = 0
        self._header_bytes = 0
        self._in_headers = False
        self._body_bytes = 0
        self._fault_header: str | None = None
        self._request_id: str | None = None
        self._expect_continue = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._connections.discard(self)
        while self._queue:  # counted on arrival, never answered: the caller left first
            abandoned(self._runtime, self._queue.popleft())
        if self._linger is not None:
            self._linger.cancel()
        if self.task is not None:
            self.task.cancel()  # the caller went away: the answer is abandoned

    def pause_writing(self) -> None:
        self._write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._update_reading()

    def eof_received(self) -> bool:
        # The caller closed its side: like aiohttp, take that as gone, and an answer still
        # waiting (latency, hang, slow_body) as abandoned.
        return False

    def data_received(self, data: bytes) -> None:
        if self._discarding or self._closed:
            return
        if self._in_headers:
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_SECTION:
                return self._refuse(400, f"header section over {MAX_HEADER_SECTION} bytes "
                                         f"(at most {MAX_HEADERS} lines of {MAX_LINE_BYTES})")
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if not isinstance(exc.__context__, _Refused):
                raise
            self._refuse_with(exc.__context__.reply)
        except httptools.HttpParserUpgrade:
            # No protocol switch here: the request was answered as usual; then close.
            self._discarding = True
            if self._queue:
                self._queue[-1].keep_alive = False
        except httptools.HttpParserError as exc:
            self._refuse(400, f"malformed HTTP request: {exc}")

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._reset_message()
        self._in_headers = True

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > MAX_LINE_BYTES:
            raise _Refused(self._error(400, f"request line over {MAX_LINE_BYTES} bytes"))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers += 1
        if self._headers > MAX_HEADERS:
            raise _Refused(self._error(400, f"more than {MAX_HEADERS} headers"))
        if len(name) + len(value) + 2 > MAX_LINE_BYTES:
            raise _Refused(self._error(400, f"header line over {MAX_LINE_BYTES} bytes: "
                                            f"{name[:40].decode('latin-1')}"))
        if len(name) not in _WATCHED_LENGTHS:  # most headers: no need to look closer
            return
        lower = name.lower()
        if lower == b"x-sim-fault":
            self._fault_header = value.decode("utf-8", "surrogateescape")
        elif lower == b"x-request-id":
            self._request_id = value.decode("utf-8", "surrogateescape") or None
        elif lower == b"content-length" and value.strip().isdigit() \
                and int(value) > MAX_BODY_BYTES:
            raise _Refused(self._too_large(int(value)))
        elif lower == b"expect" and value.lower() == b"100-continue":
            self._expect_continue = True

    def on_headers_complete(self) -> None:
        self._in_headers = False
        method = self._parser.get_method()
        if len(method) + len(self._url) + 10 > MAX_LINE_BYTES:
            raise _Refused(self._error(400, f"request line over {MAX_LINE_BYTES} bytes"))
        if self._expect_continue and self.task is None and not self._queue:
            self._write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > MAX_BODY_BYTES:
            raise _Refused(self._too_large(self._body_bytes))

    def on_message_complete(self) -> None:
        if self._closed or self._discarding:
            return
        path, query = self._split_target()
        self._queue.append(Request(
            self._parser.get_method().decode("ascii", "replace"), path, query,
            self._parser.should_keep_alive(), self._parser.get_http_version() == "1.0",
            self._fault_header, self._request_id, self._loop.time()))
        self._runtime.arrived()
        self._dispatch()

    # answering, in order

    def _dispatch(self) -> None:
        while self._queue and self.task is None and not self._closed:
            request = self._queue.popleft()
            if request.refusal is not None:
                refuse(self, self._runtime, request, request.refusal)
                continue
            try:
                pending = answer(self, self._runtime, request)
            except Exception:
                self._failed(request)
                continue
            if pending is not None:
                self.task = self._loop.create_task(self._run(request, pending))
        self._update_reading()

    async def _run(self, request: Request, pending: Pending) -> None:
        try:
            await pending
        except Exception:
            self._failed(request)
        self.task = None
        self._dispatch()

    def _failed(self, request: Request) -> None:
        """A bug, not the caller's doing: a JSON 500 and a log line, as any server would."""
        log.exception("%s: answering %s %s failed", self._runtime.name, request.method,
                      request.path[:200])
        request.keep_alive = False  # what was already written of it is unknown
        self.send(request, http_error(500, request.path), "none")
        self._runtime.finish(request.started, self._loop.time(), 500)

    def send(self, request: Request, reply: Reply, injected: str) -> None:
        self._write(encode(reply, injected, request.keep_alive, request.http10,
                           request.head_only))
        self.end(request)

    def send_head(self, request: Request, reply: Reply, injected: str) -> None:
        self._write(head(reply.status, reply.content_type, len(reply.body), injected,
                         reply.headers, request.keep_alive, request.http10))

    def send_body(self, data: bytes) -> None:
        self._write(data)

    def end(self, request: Request) -> None:
        if request.keep_alive or self._transport is None:
            return
        self._closed = True
        if request.refusal is None:
            self._transport.close()
            return
        # Stop sending, go on reading for a moment, then close (see REFUSAL_LINGER).
        if self._transport.can_write_eof():
            self._transport.write_eof()
        self._linger = self._loop.call_later(REFUSAL_LINGER, self._transport.close)

    def drop(self) -> None:
        """Close with a TCP RST (SO_LINGER 0), the way a crashed peer or a proxy reset looks."""
        self._closed = True
        if self._transport is None:
            return
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._transport.abort()

    def close(self) -> None:
        """Close now (the port went down or the simulator stops); a running answer is
        cancelled by connection_lost and counted as abandoned."""
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.abort()

    # helpers

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def _update_reading(self) -> None:
        if self._transport is None or self._closed:
            return
        pause = self._write_paused or len(self._queue) >= MAX_QUEUED
        if pause and not self._read_paused:
            self._transport.pause_reading()
        elif not pause and self._read_paused:
            self._transport.resume_reading()
        self._read_paused = pause

    def _split_target(self) -> tuple[str, str]:
        target = self._url.decode("utf-8", "surrogateescape")
        if not target.startswith("/"):  # absolute form, as a proxy would send it
            parsed = httptools.parse_url(self._url)
            target = (parsed.path or b"/").decode("utf-8", "surrogateescape")
            if parsed.query:
                target += "?" + parsed.query.decode("utf-8", "surrogateescape")
        path, _, query = target.partition("?")
        return (unquote(path) if "%" in path else path), query

    def _error(self, status: int, message: str) -> Reply:
        return http_error(status, self._url[:200].decode("utf-8", "replace"), message)

    def _too_large(self, size: int) -> Reply:
        return self._error(413, f"Maximum request body size {MAX_BODY_BYTES} exceeded, "
                                f"actual body size at least {size}")

    def _refuse(self, status: int, message: str) -> None:
        self._refuse_with(self._error(status, message))

    def _refuse_with(self, reply: Reply) -> None:
        """Answer the broken request after those before it, then close the connection."""
        self._discarding = True
        self._in_headers = False
        # The answer to a HEAD has no body, a refusal too (once the method was read).
        method = "HEAD" if self._url and self._parser.get_method() == b"HEAD" else "GET"
        self._queue.append(Request(method, "", "", False, False, None, None,
                                   self._loop.time(), refusal=reply))
        self._runtime.arrived()
        self._dispatch()
