"""Typed, frozen ledger events of the simulator. The BFF adds its own in bff/events.py.

Every event carries `t`: seconds on the host's monotonic clock since the host started,
so a report can line up a fault with what the BFF did about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"
    # Frequent events (one per request or attempt) share a ring buffer of their own, so a
    # busy run cannot push the rare ones (phases, breaker transitions) out of the ledger.
    frequent: ClassVar[bool] = False
    # A ring of its own (e.g. "breaker", "timeline"), which neither frequent events nor
    # other rare ones (fault changes in a loop) can push out; None: by `frequent`.
    ring: ClassVar[str | None] = None
    t: float


@dataclass(frozen=True)
class FaultInjected(Event):
    kind: ClassVar[str] = "fault_injected"
    frequent: ClassVar[bool] = True
    service: str
    request_id: str
    fault: str
    delay: float = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = "plan"  # plan | admin | header


@dataclass(frozen=True)
class RequestAbandoned(Event):
    """The caller went away before the service answered (its timeout fired)."""

    kind: ClassVar[str] = "request_abandoned"
    frequent: ClassVar[bool] = True
    service: str
    request_id: str
    after: float


@dataclass(frozen=True)
class PhaseStarted(Event):
    kind: ClassVar[str] = "phase_started"
    ring: ClassVar[str | None] = "timeline"
    phase: str
    index: int
    duration: float


@dataclass(frozen=True)
class TimelineEnded(Event):
    kind: ClassVar[str] = "timeline_ended"
    ring: ClassVar[str | None] = "timeline"


@dataclass(frozen=True)
class FaultsChanged(Event):
    kind: ClassVar[str] = "faults_changed"
    service: str
    faults: tuple[Mapping[str, Any], ...]
    source: str  # admin | phase


@dataclass(frozen=True)
class PortStateChanged(Event):
    """The `down` fault closed (or reopened) a service's port."""

    kind: ClassVar[str] = "port_state_changed"
    service: str
    listening: bool
