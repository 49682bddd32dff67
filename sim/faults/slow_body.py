"""slow_body: send the headers at once, then dribble the body over a duration."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web

from sim.durations import format_duration
from sim.faults.base import INJECTED_HEADER, INJECTED_KEY, Fault, Handler, Injection
from sim.faults.spec import SpecReader


@dataclass(frozen=True)
class SlowBody(Fault):
    kind: ClassVar[str] = "slow_body"
    duration: float = 1.0
    chunks: int = 10

    @classmethod
    def from_spec(cls, spec: SpecReader) -> SlowBody:
        probability = spec.probability()
        duration = spec.duration("duration")
        chunks = spec.integer("chunks", 10, low=1, high=10_000)
        spec.finish()
        return cls(probability, duration, chunks)

    def to_spec(self) -> dict[str, Any]:
        return self._spec(duration=format_duration(self.duration), chunks=self.chunks)

    def sample(self, rng: object) -> Injection:
        return Injection(self.kind, params={"duration_ms": round(self.duration * 1000, 1)})

    async def respond(
        self, request: web.Request, injection: Injection, handler: Handler
    ) -> web.StreamResponse:
        inner = await handler(request)
        body = inner.body if isinstance(inner, web.Response) else b""
        payload = bytes(body) if isinstance(body, bytes | bytearray) else b""
        stream = web.StreamResponse(status=inner.status, headers=inner.headers)
        stream.headers[INJECTED_HEADER] = request.get(INJECTED_KEY, injection.kind)
        stream.content_length = len(payload)
        await stream.prepare(request)
        pieces = max(1, min(self.chunks, len(payload)))
        pause = self.duration / pieces
        total = len(payload)
        for index in range(pieces):
            # The last byte leaves after the full duration, so a reader waits all of it.
            await asyncio.sleep(pause)
            await stream.write(payload[total * index // pieces:total * (index + 1) // pieces])
        await stream.write_eof()
        return stream
