"""Per-service fault decisions: probability applied once, here, from a seeded stream."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.faults import Fault, Injection
from sim.faults.fail_first import FailFirst


@dataclass(frozen=True)
class Decision:
    """What to do to one request: delays to add, then at most one terminal fault."""

    delays: tuple[Injection, ...]
    terminal: Fault | None
    terminal_injection: Injection | None

    @property
    def delay(self) -> float:
        return sum(injection.delay for injection in self.delays)

    @property
    def injections(self) -> tuple[Injection, ...]:
        tail = (self.terminal_injection,) if self.terminal_injection else ()
        return self.delays + tail

    def header_value(self) -> str:
        if self.terminal_injection is None and not self.delays:
            return _NONE
        return ", ".join(i.header_value() for i in self.injections)


NO_FAULT = Decision((), None, None)
_NONE = "none"


class FaultEngine:
    """One per service. Its own RNG stream, so decisions depend only on the seed, the plan
    and the order of requests at this service, never on traffic to other services."""

    def __init__(self, service: str, seed: int) -> None:
        self.service = service
        self._rng = random.Random(f"{seed}:{service}:faults")
        self._seen_keys: dict[str, int] = {}

    def decide(self, faults: Sequence[Fault], request_key: Callable[[], str]) -> Decision:
        if not faults:
            return NO_FAULT
        delays: list[Injection] = []
        terminal: Fault | None = None
        terminal_injection: Injection | None = None
        for fault in faults:
            if fault.kind == "down":
                continue
            # One draw per fault per request, fired or not, keeps the stream aligned.
            roll = self._rng.random()
            if isinstance(fault, FailFirst):
                key = request_key()
                attempt = self._seen_keys.get(key, 0) + 1
                self._seen_keys[key] = attempt
                if terminal is None and attempt <= fault.attempts and roll < fault.probability:
                    terminal = fault
                    terminal_injection = Injection(
                        fault.kind, params={"attempt": attempt, "status": fault.status})
                continue
            if roll >= fault.probability:
                continue
            if not fault.terminal:
                delays.append(fault.sample(self._rng))
            elif terminal is None:
                terminal = fault
                terminal_injection = fault.sample(self._rng)
        return Decision(tuple(delays), terminal, terminal_injection)
