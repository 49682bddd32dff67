"""Request size limits (docs/admin-api.md#limits): oversized requests are refused with a
4xx and the server goes on serving; nothing is buffered without bound."""

from __future__ import annotations

import json

import aiohttp

from sim.faults import MAX_FAULTS
from sim.host import SimHost


async def still_serving(client: aiohttp.ClientSession, sim_host: SimHost) -> None:
    async with client.get(f"{sim_host.urls['cart']}/users/1/cart") as response:
        assert response.status == 200


async def test_a_fault_body_over_256_kib_is_a_413_with_a_json_error(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    body = json.dumps([{"type": "hang"}] * 30_000)  # ~480 KB
    async with client.put(f"{sim_host.urls['admin']}/faults/cart", data=body,
                          headers={"Content-Type": "application/json"}) as response:
        assert response.status == 413
        assert "exceeded" in (await response.json())["error"]
    async with client.get(f"{sim_host.urls['admin']}/faults") as response:
        assert (await response.json())["cart"]["faults"] == []  # nothing applied
    await still_serving(client, sim_host)


async def test_more_than_the_fault_limit_is_refused_naming_the_field(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    too_many = [{"type": "latency", "delay": "1ms"}] * (MAX_FAULTS + 1)
    async with client.put(f"{sim_host.urls['admin']}/faults/cart", json=too_many) as response:
        assert response.status == 400
        assert f"at most {MAX_FAULTS} faults" in (await response.json())["error"]
    header = ";".join(["latency=100ms"] * (MAX_FAULTS + 1))
    async with client.get(f"{sim_host.urls['cart']}/users/1/cart",
                          headers={"X-Sim-Fault": header}) as response:
        assert response.status == 400
        payload = await response.json()
    assert payload["field"] == "X-Sim-Fault"
    assert f"at most {MAX_FAULTS} faults per service, got {MAX_FAULTS + 1}" in payload["error"]
    exactly = ";".join(["latency=1ms"] * MAX_FAULTS)
    async with client.get(f"{sim_host.urls['cart']}/users/1/cart",
                          headers={"X-Sim-Fault": exactly}) as response:
        assert response.status == 200


async def test_an_oversized_header_or_too_many_headers_are_a_400_on_every_port(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    many = {f"X-Filler-{i}": "x" for i in range(80)}
    for url in (f"{sim_host.urls['cart']}/users/1/cart", f"{sim_host.urls['admin']}/health"):
        async with client.get(url, headers={"X-User-Id": "1" * 9000}) as response:
            assert response.status == 400
            assert "8190" in await response.text()
        async with client.get(url, headers=many) as response:
            assert response.status == 400
    await still_serving(client, sim_host)
