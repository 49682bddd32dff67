"""Every fault type as a real aiohttp client sees it, on real loopback ports."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from sim.host import SimHost


async def put_faults(client: aiohttp.ClientSession, host: SimHost, service: str,
                     faults: list[dict[str, object]]) -> None:
    async with client.put(f"{host.urls['admin']}/faults/{service}", json=faults) as response:
        assert response.status == 200, await response.text()


def inventory_url(host: SimHost) -> str:
    return f"{host.urls['inventory']}/products/1/inventory"


async def test_fixed_latency_delays_by_about_that_much(sim_host: SimHost,
                                                       client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "inventory", [{"type": "latency", "delay": "300ms"}])
    started = time.monotonic()
    async with client.get(inventory_url(sim_host)) as response:
        await response.json()
        assert response.headers["X-Sim-Injected"] == "latency;delay_ms=300.0"
    assert 0.29 <= time.monotonic() - started < 1.5


async def test_reset_is_a_connection_error(sim_host: SimHost,
                                           client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "inventory", [{"type": "reset"}])
    with pytest.raises(aiohttp.ClientConnectionError):
        async with client.get(inventory_url(sim_host)) as response:
            await response.read()
    assert sim_host.ledger.counters[("sim_requests_total", ("inventory", "reset"))] == 1


async def test_hang_never_answers_so_the_client_timeout_fires(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "inventory", [{"type": "hang"}])
    with pytest.raises(asyncio.TimeoutError):
        async with client.get(inventory_url(sim_host),
                              timeout=aiohttp.ClientTimeout(total=0.3)) as response:
            await response.read()
    await asyncio.sleep(0.1)  # the server notices the disconnect and records it
    abandoned = sim_host.ledger.events_since(0, kinds=frozenset({"request_abandoned"}))
    assert abandoned and abandoned[0]["service"] == "inventory"


async def test_down_refuses_connections_until_cleared(sim_host: SimHost,
                                                      client: aiohttp.ClientSession) -> None:
    url = f"{sim_host.urls['cart']}/users/1/cart"
    await put_faults(client, sim_host, "cart", [{"type": "down"}])
    with pytest.raises(aiohttp.ClientConnectorError):
        async with client.get(url) as response:
            await response.read()
    async with client.delete(f"{sim_host.urls['admin']}/faults/cart") as response:
        assert response.status == 200
    async with client.get(url) as response:
        assert response.status == 200
        assert len(await response.json()) == 3


async def test_down_also_drops_kept_alive_connections(sim_host: SimHost) -> None:
    url = f"{sim_host.urls['cart']}/users/1/cart"
    async with aiohttp.ClientSession() as pooled:
        async with pooled.get(url) as response:
            assert response.status == 200
        async with pooled.put(f"{sim_host.urls['admin']}/faults/cart",
                              json=[{"type": "down"}]) as response:
            assert response.status == 200
        with pytest.raises(aiohttp.ClientConnectionError):
            async with pooled.get(url) as response:
                await response.read()


async def test_slow_body_takes_its_duration(sim_host: SimHost,
                                            client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "inventory", [{"type": "slow_body", "duration": "400ms"}])
    started = time.monotonic()
    async with client.get(inventory_url(sim_host)) as response:
        headers_after = time.monotonic() - started
        body = await response.json()
    assert headers_after < 0.2  # headers first ...
    assert 0.39 <= time.monotonic() - started < 2.0  # ... then the body, slowly
    assert 0 <= body["inventory"] <= 100


async def test_malformed_is_a_200_that_fails_json_decoding(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "products", [{"type": "malformed"}])
    async with client.get(f"{sim_host.urls['products']}/products") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        with pytest.raises(json.JSONDecodeError):
            json.loads(await response.text())


async def test_error_has_status_and_retry_after(sim_host: SimHost,
                                                client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "cart",
                     [{"type": "error", "status": 429, "retry_after": "1500ms"}])
    async with client.get(f"{sim_host.urls['cart']}/users/1/cart") as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "2"
        assert "injected" in (await response.json())["error"]


async def test_fail_first_fails_n_times_per_key_then_succeeds(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "inventory", [{"type": "fail_first", "attempts": 2}])
    statuses = {}
    for pid in (1, 2):
        seen = []
        for _ in range(3):
            async with client.get(f"{sim_host.urls['inventory']}/products/{pid}/inventory") as r:
                seen.append(r.status)
        statuses[pid] = seen
    assert statuses == {1: [503, 503, 200], 2: [503, 503, 200]}


async def test_header_overrides_the_plan_for_one_request(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "inventory", [{"type": "error", "status": 500}])
    async with client.get(inventory_url(sim_host), headers={"X-Sim-Fault": "none"}) as response:
        assert response.status == 200
        assert response.headers["X-Sim-Injected"] == "none"
    async with client.get(inventory_url(sim_host), headers={"X-Sim-Fault": "error=502"}) as r:
        assert r.status == 502
    async with client.get(inventory_url(sim_host), headers={"X-Sim-Fault": "sideways"}) as r:
        assert r.status == 400
        assert "X-Sim-Fault" in (await r.json())["error"]


async def test_every_injection_is_a_ledger_event_with_the_request_id(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "inventory", [{"type": "latency", "delay": "10ms"},
                                                     {"type": "error", "status": 503}])
    async with client.get(inventory_url(sim_host), headers={"X-Request-Id": "req-42"}) as r:
        assert r.status == 503
        assert r.headers["X-Sim-Injected"] == "latency;delay_ms=10.0, error;status=503"
    events = sim_host.ledger.events_since(0, kinds=frozenset({"fault_injected"}))
    assert [(e["request_id"], e["fault"], e["source"]) for e in events] == [
        ("req-42", "latency", "admin"), ("req-42", "error", "admin")]
