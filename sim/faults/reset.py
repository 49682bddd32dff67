"""reset: drop the connection without sending any response."""

from __future__ import annotations

import contextlib
import socket
import struct
from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web

from sim.faults.base import Fault, Handler, Injection
from sim.faults.spec import SpecReader


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

    @classmethod
    def from_spec(cls, spec: SpecReader) -> Reset:
        probability = spec.probability()
        spec.finish()
        return cls(probability)

    def to_spec(self) -> dict[str, Any]:
        return self._spec()

    async def respond(
        self, request: web.Request, injection: Injection, handler: Handler
    ) -> web.StreamResponse:
        abort_connection(request)
        raise ConnectionDropped
