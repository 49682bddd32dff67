"""Property: under `resilient`, whatever the downstreams do, every BFF answer arrives within
the request deadline plus 100 ms, with status 200, 500 or 504 and a JSON body."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bff.app import attach_bff
from bff.policyset import preset
from sim import SERVICES
from sim.host import SimHost
from tests.conftest import free_config

POLICY = preset("resilient")

durations = st.sampled_from(["0ms", "50ms", "150ms", "300ms", "1s", "3s"])
probabilities = st.sampled_from([0.0, 0.3, 1.0])
faults = st.one_of(
    st.fixed_dictionaries({"type": st.just("latency"), "delay": durations,
                           "probability": probabilities}),
    st.fixed_dictionaries({"type": st.just("error"), "rate": probabilities,
                           "status": st.sampled_from([500, 503, 429, 404])}),
    st.fixed_dictionaries({"type": st.sampled_from(["hang", "reset", "malformed"]),
                           "probability": probabilities}),
    st.fixed_dictionaries({"type": st.just("slow_body"), "duration": durations}),
    st.just({"type": "down"}),
)
plans = st.fixed_dictionaries({s: st.lists(faults, max_size=2) for s in SERVICES})


class ThreadedSim:
    """One simulator + BFF on its own loop in a thread, shared by every example."""

    def __init__(self, data_dir: Path) -> None:
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
            await attach_bff(host, POLICY, 0)
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


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedSim]:
    with ThreadedSim(tmp_path_factory.mktemp("data")) as threaded:
        yield threaded


def http(method: str, url: str, body: Any = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(plan=plans)
def test_every_answer_is_in_time_and_well_formed(sim: ThreadedSim,
                                                  plan: dict[str, list[dict[str, Any]]]) -> None:
    for service, service_faults in plan.items():
        status, body = http("PUT", f"{sim.urls['admin']}/faults/{service}", service_faults)
        assert status == 200, body
    for _ in range(2):
        started = time.monotonic()
        status, body = http("GET", f"{sim.urls['bff']}/products/all")
        elapsed = time.monotonic() - started
        assert elapsed <= POLICY.deadline + 0.1, (plan, status, elapsed)
        assert status in (200, 500, 504), (plan, status, body)
        payload = json.loads(body)
        if status == 200:
            assert set(payload) == {"cart_items", "favorite_items", "products", "degraded"}
        else:
            assert "error" in payload
