"""Same seed, same decisions: one stream per (seed, service, phase), fail_first starting
afresh whenever its fault comes into force, and a digest of each phase's decisions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from scenarios.loader import load_scenario
from sim.engine import DIGEST_FIRST, FaultEngine
from sim.faults import parse_faults
from sim.faults.fail_first import MAX_KEYS
from sim.host import SimHost
from sim.plan import FaultPlan, Phase
from tests.conftest import free_config

PHASE_A = 1.0  # seconds; long enough for 40 sequential loopback requests on a busy box


def flaky_cart_in_two_phases() -> FaultPlan:
    """flaky-cart's cart faults, in a phase "a" of PHASE_A and then a long phase "b"."""
    flaky = load_scenario("flaky-cart").phases[0].phase
    return FaultPlan(phases=(Phase("a", PHASE_A, flaky.faults), Phase("b", 60.0, flaky.faults)),
                     seed=7)


async def state(client: aiohttp.ClientSession, host: SimHost) -> dict[str, Any]:
    async with client.get(f"{host.urls['admin']}/state") as response:
        body: dict[str, Any] = await response.json()
        return body


async def injected(client: aiohttp.ClientSession, url: str, n: int) -> list[str]:
    seen = []
    for _ in range(n):
        async with client.get(url) as response:
            seen.append(response.headers["X-Sim-Injected"])
    return seen


async def phase_b_run(tmp_path: Path, requests_in_a: int) -> tuple[list[str], dict[str, Any]]:
    """Arm, send `requests_in_a` requests to cart in phase a, then 120 in phase b."""
    config = free_config(plan=flaky_cart_in_two_phases(), data_dir=tmp_path, seed=7)
    async with SimHost(config) as host, aiohttp.ClientSession() as client:
        cart = f"{host.urls['cart']}/users/1/cart"
        async with client.post(f"{host.urls['admin']}/timeline/start") as response:
            assert response.status == 200
        await injected(client, cart, requests_in_a)
        assert (await state(client, host))["timeline"]["phase"] == "a", "phase a too short"
        await asyncio.sleep(PHASE_A - host.control.timeline.position().elapsed + 0.1)
        in_b = await injected(client, cart, DIGEST_FIRST + 20)
        digests = (await state(client, host))["decisions"]["cart"]
    return in_b, {d["stream"]: d for d in digests}


async def test_phase_b_decisions_do_not_depend_on_phase_a_traffic(tmp_path: Path) -> None:
    quiet_b, quiet = await phase_b_run(tmp_path / "quiet", requests_in_a=3)
    busy_b, busy = await phase_b_run(tmp_path / "busy", requests_in_a=40)
    # What a client sees in phase b is the same, request by request ...
    assert busy_b == quiet_b
    assert 10 < sum(value.startswith("error") for value in busy_b) < 70  # 30% of 120
    # ... and the report's digest says so: phase a differs, phase b's first N agree.
    assert (quiet["phase:a"]["decisions"], busy["phase:a"]["decisions"]) == (3, 40)
    assert quiet["phase:a"]["all_sha256"] != busy["phase:a"]["all_sha256"]
    assert quiet["phase:b"]["first"] == DIGEST_FIRST
    assert quiet["phase:b"]["first_sha256"] == busy["phase:b"]["first_sha256"]
    assert quiet["phase:b"]["all_sha256"] == busy["phase:b"]["all_sha256"]


async def test_fail_first_starts_afresh_when_replaced_cleared_or_re_armed(
        tmp_path: Path) -> None:
    fail_twice = [{"type": "fail_first", "attempts": 2}]
    plan = FaultPlan(phases=(Phase("only", 60.0, {"cart": parse_faults(fail_twice, "f")}),))
    async with SimHost(free_config(plan=plan, data_dir=tmp_path)) as host, \
            aiohttp.ClientSession() as client:
        admin, cart = host.urls["admin"], f"{host.urls['cart']}/users/1/cart"

        async def statuses(n: int = 3) -> list[int]:
            out = []
            for _ in range(n):
                async with client.get(cart) as response:
                    out.append(response.status)
            return out

        async def call(method: str, path: str, **kwargs: Any) -> None:
            async with client.request(method, admin + path, **kwargs) as response:
                assert response.status == 200, await response.text()

        await call("POST", "/timeline/start")
        assert await statuses() == [503, 503, 200]
        await call("POST", "/timeline/start")  # re-armed
        assert await statuses() == [503, 503, 200]
        await call("PUT", "/faults/cart", json=fail_twice)  # replaced
        assert await statuses() == [503, 503, 200]
        await call("PUT", "/faults/cart", json=fail_twice)  # replaced by the same
        assert await statuses() == [503, 503, 200]
        await call("DELETE", "/faults/cart")  # cleared: the phase's fail_first, anew
        assert await statuses() == [503, 503, 200]


def test_fail_first_forgets_the_least_recently_seen_keys_past_its_bound() -> None:
    engine = FaultEngine("cart", 1)
    fail_once = parse_faults([{"type": "fail_first", "attempts": 1}], "f")

    def failed(key: str) -> bool:
        return engine.decide(fail_once, lambda: key).terminal is not None

    assert failed("GET /users/0/cart") and not failed("GET /users/0/cart")
    for i in range(1, MAX_KEYS + 1):  # a scan over unique URLs
        failed(f"GET /users/{i}/cart")
    assert not failed(f"GET /users/{MAX_KEYS}/cart")  # recent keys are remembered
    assert failed("GET /users/0/cart")  # the oldest was forgotten: it fails again


def test_header_faults_do_not_shift_the_plans_decisions() -> None:
    faults = parse_faults([{"type": "error", "rate": 0.5}], "f")
    header = parse_faults([{"type": "latency", "dist": "uniform", "min": "1ms", "max": "9ms"}],
                          "h")
    alone, mixed = FaultEngine("cart", 3), FaultEngine("cart", 3)
    expected = [alone.decide(faults, lambda: "k").header_value() for _ in range(50)]
    seen = []
    for _ in range(50):
        mixed.decide(header, lambda: "k", from_header=True)
        seen.append(mixed.decide(faults, lambda: "k").header_value())
    assert seen == expected
