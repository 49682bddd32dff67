"""Keeps each service's port open or closed as its faults say (the `down` fault).

If another process took a port while its service was down, reopening fails: the port is
then *rebinding*, retried in the background with backoff until it binds again or the
service goes down again. /health and /faults show that state (docs/admin-api.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from sim import SERVICES
from sim.control import FaultControl
from sim.errors import PortInUseError
from sim.events import PortStateChanged
from sim.ledger import Ledger
from sim.listener import Port

REBIND_FIRST_DELAY = 0.05  # s; doubles up to REBIND_MAX_DELAY
REBIND_MAX_DELAY = 2.0


class PortKeeper:
    def __init__(self, listeners: Mapping[str, Port], control: FaultControl,
                 ledger: Ledger) -> None:
        self._listeners = listeners
        self._control = control
        self._ledger = ledger
        self._lock = asyncio.Lock()
        self._rebinding: dict[str, asyncio.Task[None]] = {}
        self.problems: dict[str, str] = {}  # service -> why its port is not open

    def state(self, name: str) -> str:
        """open, closed (down) or rebinding (should be open; the port is taken)."""
        listener = self._listeners[name]
        if listener.listening:
            return "open"
        return "rebinding" if name in self._rebinding else "closed"

    async def sync(self) -> None:
        """Close the port of every service under a `down` fault; reopen the others."""
        async with self._lock:
            for service in SERVICES:
                listener = self._listeners.get(service)
                if listener is None:
                    continue
                if self._control.is_down(service):
                    self._stop_rebinding(service)
                    if listener.listening:
                        await listener.close_port()
                        self._ledger.emit(PortStateChanged(self._ledger.now(), service, False))
                elif (not listener.listening and service not in self._rebinding
                      and not await self._open(service, listener)):
                    task = asyncio.get_running_loop().create_task(
                        self._rebind(service, listener))
                    self._rebinding[service] = task

    async def _open(self, service: str, listener: Port) -> bool:
        try:
            await listener.open()
        except PortInUseError as exc:
            self.problems[service] = str(exc)
            return False
        self.problems.pop(service, None)
        self._ledger.emit(PortStateChanged(self._ledger.now(), service, True))
        return True

    async def _rebind(self, service: str, listener: Port) -> None:
        delay = REBIND_FIRST_DELAY
        try:
            while True:
                await asyncio.sleep(delay)
                async with self._lock:
                    if self._control.is_down(service) or listener.listening:
                        return
                    if await self._open(service, listener):
                        return
                delay = min(delay * 2, REBIND_MAX_DELAY)
        finally:
            if self._rebinding.get(service) is asyncio.current_task():
                del self._rebinding[service]

    def _stop_rebinding(self, service: str) -> None:
        task = self._rebinding.pop(service, None)
        if task is not None:
            task.cancel()
        self.problems.pop(service, None)

    def stop(self) -> None:
        for service in list(self._rebinding):
            self._stop_rebinding(service)
