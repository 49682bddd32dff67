"""A port taken by another process while its service is `down` (issue 11 item 13): the
admin API says so in JSON, keeps retrying in the background, and /health and /faults
agree about it. The port is really taken, by a second socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import aiohttp

from sim.host import SimHost


@contextmanager
def squat(url: str) -> Iterator[socket.socket]:
    """Listen on the service's port, as another process would after it closed."""
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As servers do: connections the service closed may linger in TIME_WAIT on the port.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((parts.hostname, parts.port))
        sock.listen()
        yield sock
    finally:
        sock.close()


async def admin_json(client: aiohttp.ClientSession, method: str, url: str,
                     **kwargs: object) -> tuple[int, dict[str, object]]:
    async with client.request(method, url, **kwargs) as response:  # type: ignore[arg-type]
        assert response.content_type == "application/json"
        return response.status, await response.json()


async def wait_for_state(client: aiohttp.ClientSession, admin: str, service: str,
                         state: str) -> None:
    for _ in range(100):  # the retry backoff tops out at 2 s; 5 s is plenty
        _, health = await admin_json(client, "GET", f"{admin}/health")
        if health["listeners"][service]["state"] == state:  # type: ignore[index]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{service} never became {state}")


async def test_clearing_down_on_a_taken_port_is_a_json_503_then_it_rebinds(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    admin, cart = sim_host.urls["admin"], sim_host.urls["cart"]
    status, _ = await admin_json(client, "PUT", f"{admin}/faults/cart", json=[{"type": "down"}])
    assert status == 200
    with squat(cart):
        status, body = await admin_json(client, "DELETE", f"{admin}/faults/cart")
        assert status == 503
        assert "address already in use" in str(body["error"])
        assert body["port"] == "rebinding"
        assert body["cart"] == {"source": "none", "faults": [], "port": "rebinding"}
        _, health = await admin_json(client, "GET", f"{admin}/health")
        assert health["status"] == "degraded"
        assert health["listeners"]["cart"]["state"] == "rebinding"  # type: ignore[index]
        assert health["listeners"]["cart"]["listening"] is False  # type: ignore[index]
        _, faults = await admin_json(client, "GET", f"{admin}/faults")
        assert faults["cart"]["port"] == "rebinding"  # type: ignore[index]
        await asyncio.sleep(0.3)  # a few retries fail while it is held
    await wait_for_state(client, admin, "cart", "open")
    _, faults = await admin_json(client, "GET", f"{admin}/faults")
    assert faults["cart"] == {"source": "none", "faults": []}
    async with client.get(f"{cart}/users/1/cart") as response:
        assert response.status == 200
    _, health = await admin_json(client, "GET", f"{admin}/health")
    assert health["status"] == "ok" and "error" not in health["listeners"]["cart"]  # type: ignore[operator]
    events = sim_host.ledger.events_since(0, kinds=frozenset({"port_state_changed"}))
    assert [(e["service"], e["listening"]) for e in events] == [("cart", False), ("cart", True)]


async def test_down_again_while_rebinding_stops_the_retries(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    admin, cart = sim_host.urls["admin"], sim_host.urls["cart"]
    await admin_json(client, "PUT", f"{admin}/faults/cart", json=[{"type": "down"}])
    with squat(cart):
        status, _ = await admin_json(client, "PUT", f"{admin}/faults/cart",
                                     json=[{"type": "latency", "delay": "1ms"}])
        assert status == 503
        status, body = await admin_json(client, "PUT", f"{admin}/faults/cart",
                                        json=[{"type": "down"}])
        assert status == 200 and "port" not in body["cart"]  # type: ignore[operator]
    await asyncio.sleep(0.3)  # had a retry been left running, it would rebind by now
    _, health = await admin_json(client, "GET", f"{admin}/health")
    assert health["listeners"]["cart"]["state"] == "closed"  # type: ignore[index]
    assert health["status"] == "ok"
    status, _ = await admin_json(client, "DELETE", f"{admin}/faults/cart")
    assert status == 200
    async with client.get(f"{cart}/users/1/cart") as response:
        assert response.status == 200
