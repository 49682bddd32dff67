"""hang: accept the request and never answer; the caller's timeout has to fire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sim.faults.answers import Answer, Serve, Silence
from sim.faults.base import Fault, Injection

_SILENCE = Silence()


@dataclass(frozen=True)
class Hang(Fault):
    kind: ClassVar[str] = "hang"

    def answer(self, injection: Injection, serve: Serve) -> Answer:
        # Silence ends when the caller disconnects (counted as abandoned) or the simulator
        # stops: a hang never outlives its connection.
        return _SILENCE
