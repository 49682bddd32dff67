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
        self._thread_id: int | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(data_dir),),
                                        daemon=True)

    async def _main(self, data_dir: Path) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread_id = threading.get_native_id()
        self._stop = asyncio.Event()
        async with SimHost(free_config(data_dir=data_dir)) as host:
            await attach_bff(host, self.policy, 0)
            self.urls = host.urls
            self._ready.set()
            await self._stop.wait()

    def starved(self) -> float:
        """Seconds the loop's thread has so far spent runnable but waiting for a CPU (Linux
        schedstat; 0.0 elsewhere): time a loaded machine, not the BFF, took."""
        try:
            fields = Path(f"/proc/self/task/{self._thread_id}/schedstat").read_text().split()
        except OSError:
            return 0.0
        return int(fields[1]) / 1e9

    def __enter__(self) -> ThreadedSim:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        assert not self._thread.is_alive(), "the simulator did not stop"
