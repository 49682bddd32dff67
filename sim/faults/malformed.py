"""malformed: answer 200 with a JSON content type and a body that is not valid JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from aiohttp import web

from sim.faults.base import Fault, Handler, Injection


@dataclass(frozen=True)
class Malformed(Fault):
    kind: ClassVar[str] = "malformed"

    async def respond(
        self, request: web.Request, injection: Injection, handler: Handler
    ) -> web.StreamResponse:
        inner = await handler(request)
        text = inner.text if isinstance(inner, web.Response) and inner.text else "{}"
        # Cut the real payload in half: looks like a truncated upstream, never parses.
        return web.Response(
            status=200, text=text[: max(1, len(text) // 2)] + "\x00",
            content_type="application/json",
        )
