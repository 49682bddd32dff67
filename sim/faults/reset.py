"""reset: drop the connection without sending any response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sim.faults.answers import Answer, Drop, Serve
from sim.faults.base import Fault, Injection

_DROP = Drop()


@dataclass(frozen=True)
class Reset(Fault):
    kind: ClassVar[str] = "reset"

    def answer(self, injection: Injection, serve: Serve) -> Answer:
        # A TCP RST (SO_LINGER 0), the way a crashed peer or a proxy reset looks.
        return _DROP
