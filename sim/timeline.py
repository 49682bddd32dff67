"""The phase timeline: which phase of a plan is active, computed from an injected clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.plan import Phase


@dataclass(frozen=True)
class Position:
    armed: bool
    index: int | None  # None: not armed yet, or every phase is over
    phase: str | None
    elapsed: float  # since the timeline was armed
    phase_left: float | None
    ended: bool

    def to_dict(self) -> dict[str, object]:
        return {"armed": self.armed, "index": self.index, "phase": self.phase,
                "elapsed": round(self.elapsed, 3),
                "phase_left": None if self.phase_left is None else round(self.phase_left, 3),
                "ended": self.ended}


class Timeline:
    def __init__(self, phases: Sequence[Phase], clock: Callable[[], float]) -> None:
        self.phases = tuple(phases)
        self._clock = clock
        self._t0: float | None = None
        self._ends: list[float] = []
        total = 0.0
        for phase in self.phases:
            total += phase.duration
            self._ends.append(total)

    @property
    def started_at(self) -> float | None:
        return self._t0

    def arm(self) -> None:
        """Start (or restart) the timeline now: phase 0 begins at this instant."""
        self._t0 = self._clock()

    def boundaries(self) -> list[float]:
        """Clock readings at which each phase starts, then the end; empty if unarmed."""
        if self._t0 is None:
            return []
        return [self._t0] + [self._t0 + end for end in self._ends]

    def position(self) -> Position:
        if self._t0 is None:
            return Position(False, None, None, 0.0, None, False)
        elapsed = self._clock() - self._t0
        for index, end in enumerate(self._ends):
            if elapsed < end:
                return Position(True, index, self.phases[index].name, elapsed,
                                end - elapsed, False)
        return Position(True, None, None, elapsed, None, True)
