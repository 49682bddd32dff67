"""down: the service's port refuses connections for as long as the fault holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sim.faults.base import Fault
from sim.faults.spec import SpecReader


@dataclass(frozen=True)
class Down(Fault):
    """Applied by the host, not per request: it closes the listener and open connections."""

    kind: ClassVar[str] = "down"

    @classmethod
    def from_spec(cls, spec: SpecReader) -> Down:
        spec.finish(" (down closes the whole port, so it takes no probability)")
        return cls()

    def to_spec(self) -> dict[str, Any]:
        return self._spec()
