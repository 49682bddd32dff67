"""Per-request state the pipeline needs: id, deadlines on the loop clock, Server-Timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from bff.clock import Clock


class TimingEntry(NamedTuple):
    """One downstream call as it appears in the Server-Timing header (a NamedTuple: one
    per call, cheaper to build than a frozen dataclass)."""

    name: str
    duration: float
    outcome: str

    def header_value(self) -> str:
        return _ENTRY % (self.name, self.duration * 1000, self.outcome)


_ENTRY = '%s;dur=%.1f;desc="%s"'


@dataclass
class RequestContext:
    request_id: str
    clock: Clock
    deadline: float  # loop-clock time the whole request must be answered by
    stage_deadline: float  # the current stage's end (never after `deadline`)
    timings: list[TimingEntry] = field(default_factory=list)

    def time_left(self) -> float:
        return max(0.0, self.stage_deadline - self.clock())

    def enter_stage(self, wait: float | None) -> None:
        """Start a stage (the catalogue calls, then inventory) bounded by `wait`."""
        end = self.deadline if wait is None else min(self.deadline, self.clock() + wait)
        self.stage_deadline = end

    def server_timing(self) -> str:
        entry = _ENTRY
        return ", ".join([entry % (name, duration * 1000, outcome)
                          for name, duration, outcome in self.timings])
