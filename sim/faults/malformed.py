"""malformed: answer 200 with a JSON content type and a body that is not valid JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sim.faults.answers import Answer, Reply, Serve
from sim.faults.base import Fault, Injection


@dataclass(frozen=True)
class Malformed(Fault):
    kind: ClassVar[str] = "malformed"

    def answer(self, injection: Injection, serve: Serve) -> Answer:
        inner = serve()
        if inner.status >= 400:  # a bad request stays what it is (a 400 is not mangled)
            return inner
        body = inner.body or b"{}"
        # Cut the real payload in half: looks like a truncated upstream, never parses.
        return Reply(200, body[: max(1, len(body) // 2)] + b"\x00")
