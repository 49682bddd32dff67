"""slow_body: send the headers at once, then dribble the body over a duration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sim.durations import format_duration
from sim.faults.answers import Answer, Dribble, Serve
from sim.faults.base import Fault, Injection
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

    def answer(self, injection: Injection, serve: Serve) -> Answer:
        inner = serve()
        if inner.status >= 400:  # a bad request is answered at once, as before
            return inner
        # The last byte leaves after the full duration, so a reader waits all of it.
        return Dribble(inner, self.duration, self.chunks)
