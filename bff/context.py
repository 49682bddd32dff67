"""Per-request state the pipeline needs: id, deadlines on the loop clock, Server-Timing."""

from __future__ import annotations

from dataclasses import dataclass, field

from bff.clock import Clock


@dataclass(frozen=True)
class TimingEntry:
    """One downstream call as it appears in the Server-Timing header."""

    name: str
    duration: float
    outcome: str

    def header_value(self) -> str:
        return f'{self.name};dur={self.duration * 1000:.1f};desc="{self.outcome}"'


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
        return ", ".join(entry.header_value() for entry in self.timings)
