"""hang: accept the request and never answer; the caller's timeout has to fire."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from aiohttp import web

from sim.faults.base import Fault, Handler, Injection


@dataclass(frozen=True)
class Hang(Fault):
    kind: ClassVar[str] = "hang"

    async def respond(
        self, request: web.Request, injection: Injection, handler: Handler
    ) -> web.StreamResponse:
        # The server runs with handler_cancellation, so this ends when the caller
        # disconnects or the simulator stops: a hang never outlives its connection.
        await asyncio.Event().wait()
        raise AssertionError("unreachable")
