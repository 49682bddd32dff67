"""fail_first: fail the first N requests of each request key, then succeed."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar

from sim.faults.answers import Answer, Serve, json_reply
from sim.faults.base import Fault, Injection
from sim.faults.spec import SpecReader

MAX_ATTEMPTS = 1_000_000  # per key: more is a typo, not an experiment

# How many request keys a fail_first remembers; past it the least recently seen key is
# forgotten (and fails again if it comes back), so a scan over unique URLs cannot grow
# the simulator's memory without bound: 100,000 keys take about 15 MB.
MAX_KEYS = 100_000


class AttemptCounter:
    """Attempts per request key, the newest `max_keys` keys (least recently seen go first).

    One per decision stream: a fault that is replaced, cleared or re-armed starts afresh."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._attempts: OrderedDict[str, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._attempts)

    def next_attempt(self, key: str) -> int:
        attempt = self._attempts.pop(key, 0) + 1
        self._attempts[key] = attempt  # re-inserted: now the most recently seen
        if len(self._attempts) > self.max_keys:
            self._attempts.popitem(last=False)
        return attempt


@dataclass(frozen=True)
class FailFirst(Fault):
    """Deterministic retry tests: the key is method + path + query, counted per service."""

    kind: ClassVar[str] = "fail_first"
    attempts: int = 1
    status: int = 503

    @classmethod
    def from_spec(cls, spec: SpecReader) -> FailFirst:
        probability = spec.probability()
        attempts = spec.integer("attempts", low=1, high=MAX_ATTEMPTS)
        status = spec.integer("status", 503, low=400, high=599)
        spec.finish()
        return cls(probability, attempts, status)

    def to_spec(self) -> dict[str, Any]:
        return self._spec(attempts=self.attempts, status=self.status)

    def answer(self, injection: Injection, serve: Serve) -> Answer:
        return json_reply(self.status, {"error": f"injected fault: fail_first "
                                                 f"{injection.params.get('attempt')}"
                                                 f"/{self.attempts}"})
