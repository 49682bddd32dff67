"""Phases switch on time: the pure timeline with a fake clock, and a real host's plan."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from sim.host import SimHost
from sim.plan import Phase, parse_fault_plan
from sim.timeline import Timeline
from tests.conftest import free_config


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_timeline_positions_follow_the_clock() -> None:
    clock = Clock()
    timeline = Timeline([Phase("warmup", 10.0), Phase("outage", 5.0)], clock)
    assert timeline.position().armed is False
    timeline.arm()
    clock.now += 9.5
    position = timeline.position()
    assert (position.phase, round(position.phase_left or 0, 3)) == ("warmup", 0.5)
    clock.now += 1.0
    assert timeline.position().phase == "outage"
    clock.now += 5.0
    assert timeline.position().ended and timeline.position().phase is None
    timeline.arm()  # re-arming restarts from the first phase
    assert timeline.position().phase == "warmup"


PLAN = {
    "seed": 1,
    "faults": {"inventory": [{"type": "latency", "delay": "1ms"}]},
    "phases": [
        {"name": "calm", "duration": "300ms"},
        {"name": "broken", "duration": "300ms", "faults": {"inventory": [{"type": "error"}],
                                                           "cart": [{"type": "down"}]}},
        {"name": "recovered", "duration": "300ms"},
    ],
}


async def test_a_real_plan_switches_phases_on_time(tmp_path: Path) -> None:
    plan = parse_fault_plan(PLAN)
    async with SimHost(free_config(plan=plan, data_dir=tmp_path)) as host, \
            aiohttp.ClientSession() as client:
        url = f"{host.urls['inventory']}/products/1/inventory"
        async with client.post(f"{host.urls['admin']}/timeline/start") as response:
            assert (await response.json())["phase"] == "calm"
        seen: dict[str, tuple[int, bool]] = {}
        for phase, at in (("calm", 0.15), ("broken", 0.45), ("recovered", 0.75)):
            await asyncio.sleep(at - host.control.timeline.position().elapsed)
            async with client.get(f"{host.urls['admin']}/state") as response:
                state = await response.json()
            assert state["timeline"]["phase"] == phase
            async with client.get(url) as response:
                status = response.status
            seen[phase] = (status, host.listeners["cart"].listening)
        assert seen == {"calm": (200, True), "broken": (503, False), "recovered": (200, True)}
        started = host.ledger.events_since(0, kinds=frozenset({"phase_started"}))
        assert [e["phase"] for e in started] == ["calm", "broken", "recovered"]
