"""fail_first: fail the first N requests of each request key, then succeed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web

from sim.faults.base import Fault, Handler, Injection
from sim.faults.spec import SpecReader


@dataclass(frozen=True)
class FailFirst(Fault):
    """Deterministic retry tests: the key is method + path + query, counted per service."""

    kind: ClassVar[str] = "fail_first"
    attempts: int = 1
    status: int = 503

    @classmethod
    def from_spec(cls, spec: SpecReader) -> FailFirst:
        probability = spec.probability()
        attempts = spec.integer("attempts", low=1, high=1_000_000)
        status = spec.integer("status", 503, low=400, high=599)
        spec.finish()
        return cls(probability, attempts, status)

    def to_spec(self) -> dict[str, Any]:
        return self._spec(attempts=self.attempts, status=self.status)

    async def respond(
        self, request: web.Request, injection: Injection, handler: Handler
    ) -> web.StreamResponse:
        return web.json_response(
            {"error": f"injected fault: fail_first {injection.params.get('attempt')}"
                      f"/{self.attempts}"},
            status=self.status,
        )
