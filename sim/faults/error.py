"""error: answer with an HTTP error status (503 by default), optionally with Retry-After."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sim.durations import format_duration
from sim.errors import ConfigError
from sim.faults.answers import Answer, Serve, json_reply
from sim.faults.base import Fault, Injection
from sim.faults.spec import SpecReader


@dataclass(frozen=True)
class Error(Fault):
    kind: ClassVar[str] = "error"
    status: int = 503
    retry_after: float | None = None

    @classmethod
    def from_spec(cls, spec: SpecReader) -> Error:
        if spec.has("rate") and spec.has("probability"):
            raise ConfigError(spec.path("rate"), "give rate or probability, not both")
        probability = spec.probability("rate" if spec.has("rate") else "probability")
        status = spec.integer("status", 503, low=400, high=599)
        retry_after = spec.optional_duration("retry_after")
        spec.finish()
        return cls(probability, status, retry_after)

    def to_spec(self) -> dict[str, Any]:
        retry_after = None if self.retry_after is None else format_duration(self.retry_after)
        spec = self._spec(status=self.status, retry_after=retry_after)
        if "probability" in spec:
            spec["rate"] = spec.pop("probability")
        return spec

    def sample(self, rng: object) -> Injection:
        return Injection(self.kind, params={"status": self.status})

    def answer(self, injection: Injection, serve: Serve) -> Answer:
        headers: tuple[tuple[str, str], ...] = ()
        if self.retry_after is not None:
            # Retry-After is whole seconds on the wire (RFC 9110); round up so it is honest.
            headers = (("Retry-After", str(max(0, int(-(-self.retry_after // 1))))),)
        return json_reply(self.status, {"error": f"injected fault: error {self.status}"},
                          headers)
