"""A real simulator + BFF on its own event loop in a thread, for tests driven by
synchronous code (hypothesis properties, raw http.client fuzzing)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from bff.app import attach_bff
from bff.policyset import PolicySet, preset
from sim.host import SimHost
from tests.conftest import free_config

POLICY = preset("resilient")


class ThreadedSim:
    """One simulator + BFF (under `policy`) on its own loop in a thread."""

    def __init__(self, data_dir: Path, policy: PolicySet = POLICY) -> None:
        self.policy = policy
        self.urls: dict[str, str] = {}
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(data_dir),),
                                        daemon=True)

    async def _main(self, data_dir: Path) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with SimHost(free_config(data_dir=data_dir)) as host:
            await attach_bff(host, self.policy, 0)
            self.urls = host.urls
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> ThreadedSim:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        assert not self._thread.is_alive(), "the simulator did not stop"
