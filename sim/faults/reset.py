"""reset: drop the connection without sending any response."""

from __future__ import annotations

import contextlib
import socket
import struct
from dataclasses import dataclass
from typing import ClassVar

from aiohttp import web

from sim.faults.base import Fault, Handler, Injection


class ConnectionDropped(Exception):
    """Raised after the transport was aborted so that no response is written."""


def abort_connection(request: web.Request) -> None:
    """Close with a TCP RST (SO_LINGER 0), the way a crashed peer or a proxy reset looks."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


@dataclass(frozen=True)
class Reset(Fault):
    kind: ClassVar[str] = "reset"

    async def respond(
        self, request: web.Request, injection: Injection, handler: Handler
    ) -> web.StreamResponse:
        abort_connection(request)
        raise ConnectionDropped
