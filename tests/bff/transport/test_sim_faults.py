"""Each of the transport's outcomes against the real simulator's faults, over loopback.

These talk plain HTTP to the simulated services, so they hold whatever server the
simulator runs on."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from bff.errors import ConnectFailed, ConnectionReset, MalformedJson, TransportTimeout
from bff.transport import Origin, Transport
from sim.host import SimHost

PATH = "/products/1/inventory"


def inventory(host: SimHost) -> Origin:
    return Origin.parse(host.urls["inventory"])


def fault(spec: str) -> dict[str, str]:
    return {"X-Sim-Fault": spec}


async def put_faults(client: aiohttp.ClientSession, host: SimHost, service: str,
                     faults: list[dict[str, object]]) -> None:
    async with client.put(f"{host.urls['admin']}/faults/{service}", json=faults) as response:
        assert response.status == 200, await response.text()


def requests_seen(host: SimHost, outcome: str) -> float:
    return host.ledger.counters.get(("sim_requests_total", ("inventory", outcome)), 0)


async def test_an_answer_with_latency_arrives_whole(sim_host: SimHost,
                                                    transport: Transport) -> None:
    started = time.monotonic()
    response = await transport.get(inventory(sim_host), PATH, fault("latency=200ms"), 5.0)
    assert time.monotonic() - started >= 0.19
    assert response.status == 200
    assert 0 <= response.json()["inventory"] <= 100
    assert response.headers["x-sim-injected"].startswith("latency")


async def test_latency_past_the_timeout_is_a_timeout(sim_host: SimHost,
                                                     transport: Transport) -> None:
    started = time.monotonic()
    with pytest.raises(TransportTimeout):
        await transport.get(inventory(sim_host), PATH, fault("latency=2s"), 0.1)
    assert time.monotonic() - started < 1.0


async def test_a_503_with_retry_after_is_an_answer_not_an_error(
        sim_host: SimHost, transport: Transport, client: aiohttp.ClientSession) -> None:
    await put_faults(client, sim_host, "inventory",
                     [{"type": "error", "status": 503, "retry_after": "2s"}])
    response = await transport.get(inventory(sim_host), PATH, None, 2.0)
    assert response.status == 503
    assert response.headers["retry-after"] == "2"
    assert "error" in response.json()


async def test_reset_is_a_connection_reset_and_never_sent_twice(
        sim_host: SimHost, transport: Transport) -> None:
    origin = inventory(sim_host)
    await transport.get(origin, PATH, None, 2.0)  # so the reset hits a kept-alive connection
    with pytest.raises(ConnectionReset):
        await transport.get(origin, PATH, fault("reset"), 2.0)
    # The BFF's retries must be the only ones: one reset request, not a silent second.
    assert requests_seen(sim_host, "reset") == 1


async def test_hang_times_out_and_the_simulator_sees_the_caller_leave(
        sim_host: SimHost, transport: Transport) -> None:
    started = time.monotonic()
    with pytest.raises(TransportTimeout):
        await transport.get(inventory(sim_host), PATH, fault("hang"), 0.2)
    assert time.monotonic() - started < 1.0
    for _ in range(50):  # the server notices the closed connection on its next turn
        if requests_seen(sim_host, "abandoned"):
            break
        await asyncio.sleep(0.02)
    assert requests_seen(sim_host, "abandoned") == 1


async def test_the_timeout_covers_a_slow_body_not_just_the_headers(
        sim_host: SimHost, transport: Transport) -> None:
    origin = inventory(sim_host)
    started = time.monotonic()
    with pytest.raises(TransportTimeout):
        await transport.get(origin, PATH, fault("slow_body=2s"), 0.3)
    assert time.monotonic() - started < 1.5
    whole = await transport.get(origin, PATH, fault("slow_body=300ms"), 5.0)
    assert whole.status == 200 and "inventory" in whole.json()


async def test_malformed_body_is_a_json_error_on_a_200(sim_host: SimHost,
                                                       transport: Transport) -> None:
    response = await transport.get(inventory(sim_host), PATH, fault("malformed"), 2.0)
    assert response.status == 200
    with pytest.raises(MalformedJson):
        response.json()


async def test_down_is_connect_failed_even_with_a_kept_alive_connection(
        sim_host: SimHost, transport: Transport, client: aiohttp.ClientSession) -> None:
    origin = inventory(sim_host)
    assert (await transport.get(origin, PATH, None, 2.0)).status == 200
    await put_faults(client, sim_host, "inventory", [{"type": "down"}])
    with pytest.raises(ConnectFailed):
        await transport.get(origin, PATH, None, 2.0)
    async with client.delete(f"{sim_host.urls['admin']}/faults/inventory") as response:
        assert response.status == 200
    assert (await transport.get(origin, PATH, None, 2.0)).status == 200
