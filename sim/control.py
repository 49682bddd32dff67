"""Which faults apply to each service right now: admin override > active phase > base."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sim import SERVICES
from sim.engine import FaultEngine
from sim.events import FaultsChanged, PhaseStarted, TimelineEnded
from sim.faults import Fault
from sim.ledger import Ledger
from sim.plan import FaultPlan
from sim.timeline import Timeline


class FaultControl:
    def __init__(self, plan: FaultPlan, seed: int, ledger: Ledger,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.plan = plan
        self.seed = seed
        self.ledger = ledger
        self._loop = loop
        self.timeline = Timeline(plan.phases, loop.time)
        self.engines = {service: FaultEngine(service, seed) for service in SERVICES}
        self._overrides: dict[str, tuple[Fault, ...]] = {}
        self._handles: list[asyncio.TimerHandle] = []
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Called whenever the effective faults may have changed (phase switch, admin)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def current(self, service: str) -> tuple[tuple[Fault, ...], str]:
        """(faults, source) in force for a service; runs on every request, so no allocation."""
        override = self._overrides.get(service)
        if override is not None:
            return override, "admin"
        index = self.timeline.index()
        if index is not None:
            phase_faults = self.plan.phases[index].faults
            if service in phase_faults:
                return phase_faults[service], "plan"
        return self.plan.base.get(service, ()), "plan"

    def faults_for(self, service: str) -> tuple[Fault, ...]:
        return self.current(service)[0]

    def source_for(self, service: str) -> str:
        """Where the faults come from, for people: admin, phase:<name>, base or none."""
        if service in self._overrides:
            return "admin"
        index = self.timeline.index()
        if index is not None and service in self.plan.phases[index].faults:
            return f"phase:{self.plan.phases[index].name}"
        return "base" if service in self.plan.base else "none"

    def is_down(self, service: str) -> bool:
        return any(fault.kind == "down" for fault in self.faults_for(service))

    def set_override(self, service: str, faults: tuple[Fault, ...]) -> None:
        self._overrides[service] = faults
        self.ledger.emit(FaultsChanged(self.ledger.now(), service,
                                       tuple(f.to_spec() for f in faults), "admin"))
        self._changed()

    def clear_override(self, service: str) -> None:
        self._overrides.pop(service, None)
        self.ledger.emit(FaultsChanged(self.ledger.now(), service,
                                       tuple(f.to_spec() for f in self.faults_for(service)),
                                       "cleared"))
        self._changed()

    def arm(self) -> None:
        """Start the phase timeline now; re-arming restarts it from the first phase."""
        self.cancel()
        self.timeline.arm()
        boundaries = self.timeline.boundaries()
        for index, start in enumerate(boundaries):
            self._handles.append(self._loop.call_at(start, self._on_boundary, index))
        self._changed()

    def _on_boundary(self, index: int) -> None:
        now = self.ledger.now()
        if index < len(self.plan.phases):
            phase = self.plan.phases[index]
            self.ledger.emit(PhaseStarted(now, phase.name, index, phase.duration))
        else:
            self.ledger.emit(TimelineEnded(now))
        self._changed()

    def cancel(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()

    def snapshot(self) -> dict[str, Any]:
        return {
            service: {"source": self.source_for(service),
                      "faults": [f.to_spec() for f in self.faults_for(service)]}
            for service in SERVICES
        }
