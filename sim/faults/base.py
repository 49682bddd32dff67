"""What every fault type shares: a frozen spec, how it is sampled, how it answers."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sim.faults.answers import Answer, Serve
from sim.faults.spec import SpecReader

INJECTED_HEADER = "X-Sim-Injected"


@dataclass(frozen=True)
class Injection:
    """One fault that fired for one request, with its sampled parameters."""

    kind: str
    delay: float = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)

    def header_value(self) -> str:
        parts = [self.kind]
        if self.delay:
            parts.append(f"delay_ms={self.delay * 1000:.1f}")
        parts.extend(f"{k}={v}" for k, v in self.params.items())
        return ";".join(parts)


@dataclass(frozen=True)
class Fault:
    """Base of all fault types. Subclasses are small frozen dataclasses, one per file.

    `probability` is applied once, centrally, by the engine; `sample` only draws the
    fault's own parameters. A *terminal* fault decides the response (at most one fires
    per request); non-terminal faults (latency) add delay before it.
    """

    kind: ClassVar[str]
    terminal: ClassVar[bool] = True
    probability: float = 1.0

    @classmethod
    def from_spec(cls, spec: SpecReader) -> Fault:
        """Faults whose only parameter is `probability` use this as it is."""
        probability = spec.probability()
        spec.finish()
        return cls(probability)

    def to_spec(self) -> dict[str, Any]:
        return self._spec()

    def sample(self, rng: random.Random) -> Injection:
        return Injection(self.kind)

    def answer(self, injection: Injection, serve: Serve) -> Answer:
        """What the caller gets; `serve()` is the service's own reply. Terminal faults
        override this; it must not block (waiting is an Answer, carried out elsewhere)."""
        return serve()

    def _spec(self, **fields: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.kind}
        if self.probability != 1.0:
            spec["probability"] = self.probability
        spec.update({k: v for k, v in fields.items() if v is not None})
        return spec
