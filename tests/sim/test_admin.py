"""Admin API: validation, state, Prometheus metrics, the event feed, token auth."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from sim.errors import ConfigError
from sim.host import SimHost
from tests.conftest import free_config


async def test_bad_fault_bodies_are_400s_naming_the_field(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    admin = sim_host.urls["admin"]
    cases = [
        ([{"type": "latency", "delay": "-3s"}], "faults[0].delay"),
        ([{"type": "error", "rate": 2}], "faults[0].rate"),
        ({"type": "nope"}, "faults[0].type"),
        ("hang", "faults"),
    ]
    for body, field in cases:
        async with client.put(f"{admin}/faults/inventory", json=body) as response:
            payload = await response.json()
            assert response.status == 400, body
            assert payload["field"] == field
    async with client.put(f"{admin}/faults/inventory", data=b"{not json",
                          headers={"Content-Type": "application/json"}) as response:
        assert response.status == 400
        assert "not valid JSON" in (await response.json())["error"]
    async with client.put(f"{admin}/faults/teapot", json=[]) as response:
        assert response.status == 404
        assert (await response.json())["allowed"] == ["products", "inventory", "favorites",
                                                      "cart"]
    # Nothing bad was applied.
    assert sim_host.control.faults_for("inventory") == ()


async def test_faults_put_get_delete(sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    admin = sim_host.urls["admin"]
    body = {"faults": [{"type": "error", "rate": 0.25, "status": 502}]}
    async with client.put(f"{admin}/faults/cart", json=body) as response:
        assert (await response.json())["cart"] == {
            "source": "admin", "faults": [{"type": "error", "status": 502, "rate": 0.25}]}
    async with client.get(f"{admin}/faults") as response:
        assert (await response.json())["cart"]["source"] == "admin"
    async with client.delete(f"{admin}/faults/cart") as response:
        assert (await response.json())["cart"] == {"source": "none", "faults": []}


async def test_metrics_show_injected_faults(sim_host: SimHost,
                                            client: aiohttp.ClientSession) -> None:
    async with client.get(f"{sim_host.urls['cart']}/users/1/cart",
                          headers={"X-Sim-Fault": "error=503"}) as response:
        assert response.status == 503
    async with client.get(f"{sim_host.urls['admin']}/metrics") as response:
        text = await response.text()
        assert response.content_type == "text/plain"
    assert 'sim_faults_injected_total{fault="error",service="cart"} 1.0' in text
    assert 'sim_requests_total{service="cart",status="503"} 1.0' in text
    assert 'sim_request_duration_seconds_count{service="cart"} 1.0' in text
    assert 'sim_service_listening{service="inventory"} 1.0' in text


async def test_state_and_metrics_show_what_the_harness_costs(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    async with client.get(f"{sim_host.urls['admin']}/state") as response:
        process = (await response.json())["process"]
    # A simulator with its databases loaded lives in tens of MB, and at least the five
    # listening sockets are open descriptors.
    assert 10 * 2**20 < process["rss_bytes"] < 500 * 2**20
    assert process["open_fds"] >= 5
    assert process["asyncio_tasks"] >= 1
    async with client.get(f"{sim_host.urls['admin']}/metrics") as response:
        text = await response.text()
    assert "process_resident_memory_bytes " in text
    assert "process_open_fds " in text
    assert "sim_asyncio_tasks " in text


async def test_events_since_pages_through_the_ledger(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    for _ in range(3):
        async with client.get(f"{sim_host.urls['cart']}/users/1/cart",
                              headers={"X-Sim-Fault": "latency=1ms"}):
            pass
    admin = sim_host.urls["admin"]
    async with client.get(f"{admin}/events?since=0&limit=2") as response:
        first = await response.json()
    assert [e["seq"] for e in first["events"]] == [1, 2]
    async with client.get(f"{admin}/events?since=2") as response:
        rest = await response.json()
    assert [e["seq"] for e in rest["events"]] == [3] and rest["last_seq"] == 3
    async with client.get(f"{admin}/events?since=-4") as response:
        assert response.status == 400
        assert (await response.json())["field"] == "since"


async def test_state_reports_services_and_timeline(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    async with client.get(f"{sim_host.urls['inventory']}/products/1/inventory"):
        pass
    async with client.get(f"{sim_host.urls['admin']}/state") as response:
        state = await response.json()
    assert state["seed"] == 7
    assert state["timeline"]["armed"] is False
    assert state["services"]["inventory"]["requests"] == {"200": 1}
    assert state["services"]["inventory"]["latency"]["count"] == 1


async def test_token_is_required_when_configured(tmp_path: Path) -> None:
    config = free_config(admin_token="s3cret", data_dir=tmp_path)
    async with SimHost(config) as host, aiohttp.ClientSession() as client:
        async with client.get(f"{host.urls['admin']}/faults") as response:
            assert response.status == 401
        async with client.get(f"{host.urls['admin']}/faults",
                              headers={"Authorization": "Bearer s3cret"}) as response:
            assert response.status == 200


def test_non_loopback_admin_needs_a_token() -> None:
    with pytest.raises(ConfigError, match=r"--admin-host: 0\.0\.0\.0 is not loopback"):
        free_config(admin_host="0.0.0.0")
    free_config(admin_host="0.0.0.0", admin_token="t")  # allowed with a token
