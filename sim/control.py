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
        # The phase in force, switched by the boundary callbacks (not read off the clock
        # per request), so the faults a request gets and the decision stream it draws
        # from always change together.
        self._phase: int | None = None
        self._ended = False
        self.engines = {service: FaultEngine(service, seed) for service in SERVICES}
        self._overrides: dict[str, tuple[Fault, ...]] = {}
        self._handles: list[asyncio.TimerHandle] = []
        self._listeners: list[Callable[[], None]] = []
        for service in SERVICES:
            self._restart_stream(service)

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
        index = self._phase
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
        index = self._phase
        if index is not None and service in self.plan.phases[index].faults:
            return f"phase:{self.plan.phases[index].name}"
        return "base" if service in self.plan.base else "none"

    def is_down(self, service: str) -> bool:
        return any(fault.kind == "down" for fault in self.faults_for(service))

    def set_override(self, service: str, faults: tuple[Fault, ...]) -> None:
        self._overrides[service] = faults
        self._restart_stream(service)
        self.ledger.emit(FaultsChanged(self.ledger.now(), service,
                                       tuple(f.to_spec() for f in faults), "admin"))
        self._changed()

    def clear_override(self, service: str) -> None:
        self._overrides.pop(service, None)
        self._restart_stream(service)
        self.ledger.emit(FaultsChanged(self.ledger.now(), service,
                                       tuple(f.to_spec() for f in self.faults_for(service)),
                                       "cleared"))
        self._changed()

    def arm(self) -> None:
        """Start the phase timeline now; re-arming restarts it from the first phase."""
        self.cancel()
        self.timeline.arm()
        boundaries = self.timeline.boundaries()
        for index, start in enumerate(boundaries[1:], start=1):
            self._handles.append(self._loop.call_at(start, self._on_boundary, index))
        self._on_boundary(0)

    def _on_boundary(self, index: int) -> None:
        now = self.ledger.now()
        if index < len(self.plan.phases):
            phase = self.plan.phases[index]
            self._phase, self._ended = index, False
            self.ledger.emit(PhaseStarted(now, phase.name, index, phase.duration))
        else:
            self._phase, self._ended = None, True
            self.ledger.emit(TimelineEnded(now))
        for service in SERVICES:
            if service not in self._overrides:
                self._restart_stream(service)
        self._changed()

    def stream_for(self, service: str) -> str:
        """The decision stream in force: admin, phase:<name>, base (not armed) or after."""
        if service in self._overrides:
            return "admin"
        if self._phase is not None:
            return f"phase:{self.plan.phases[self._phase].name}"
        return "after" if self._ended else "base"

    def _restart_stream(self, service: str) -> None:
        self.engines[service].enter(self.stream_for(service), self.faults_for(service),
                                    self.ledger.now())

    def decision_digests(self) -> dict[str, list[dict[str, Any]]]:
        """Per service, each decision stream's count and hashes (docs/faults.md)."""
        return {service: self.engines[service].digests() for service in SERVICES}

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
