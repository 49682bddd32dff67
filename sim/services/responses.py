"""Writing HTTP/1.1 responses as bytes, and the services' JSON error answers.

Every error a service gives is JSON (`{"error": ..., "status": ..., "path": ...}` for
routing and size errors), with the same shape aiohttp's apps give through
sim/http_errors.py.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from http import HTTPStatus

from sim.faults.answers import Reply, json_reply
from sim.faults.base import INJECTED_HEADER

SERVER = "bff-sim"
_REASONS = {status.value: status.phrase for status in HTTPStatus}


def reason(status: int) -> str:
    return _REASONS.get(status, "Unknown")


class _DateHeader:
    """The Date header changes once a second; formatting it per request is wasted CPU."""

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def value(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode()
        return self._value


_date = _DateHeader()


_heads: dict[tuple[object, ...], bytes] = {}
_MAX_CACHED_HEADS = 512  # injected headers with sampled delays vary; the cache must not grow


def head(status: int, content_type: str, length: int, injected: str,
         extra: tuple[tuple[str, str], ...], keep_alive: bool, http10: bool) -> bytes:
    """Status line and headers, ending with the blank line. Everything but the length and
    the date repeats from request to request, so it is built once and kept."""
    key = (status, content_type, injected, extra, keep_alive, http10)
    start = _heads.get(key)
    if start is None:
        if len(_heads) >= _MAX_CACHED_HEADS:
            _heads.clear()
        start = _heads[key] = _start(status, content_type, injected, extra, keep_alive, http10)
    return b"%sContent-Length: %d\r\nDate: %s\r\n\r\n" % (start, length, _date.value())


def _start(status: int, content_type: str, injected: str, extra: tuple[tuple[str, str], ...],
           keep_alive: bool, http10: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason(status)}\r\nContent-Type: {content_type}\r\n"
             f"{INJECTED_HEADER}: {injected}\r\nServer: {SERVER}\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in extra)
    if not keep_alive:
        lines.append("Connection: close\r\n")
    elif http10:
        lines.append("Connection: keep-alive\r\n")
    # Header values are ASCII here but X-Sim-Injected echoes parsed input: never fail on it.
    return "".join(lines).encode("latin-1", "replace")


def encode(reply: Reply, injected: str, keep_alive: bool, http10: bool = False,
           head_only: bool = False) -> bytes:
    start = head(reply.status, reply.content_type, len(reply.body), injected, reply.headers,
                 keep_alive, http10)
    return start if head_only else start + reply.body


def http_error(status: int, path: str, message: str | None = None,
               headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return json_reply(status, {"error": message or reason(status), "status": status,
                               "path": path[:200]}, headers)


def not_found(path: str) -> Reply:
    return http_error(404, path)


def method_not_allowed(path: str, allow: tuple[tuple[str, str], ...]) -> Reply:
    return http_error(405, path, headers=allow)
