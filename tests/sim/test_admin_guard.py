"""A web page in the user's browser cannot change the simulator through the tokenless
admin API: cross-origin state changes are a JSON 403, non-JSON bodies a JSON 415."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from sim.host import SimHost
from tests.conftest import free_config

EVIL = "http://evil.example"


async def faults_of_cart(client: aiohttp.ClientSession, admin: str) -> Any:
    async with client.get(f"{admin}/faults") as response:
        return (await response.json())["cart"]["faults"]


async def test_cross_origin_state_changes_are_refused(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    admin = sim_host.urls["admin"]
    port = sim_host.listeners["admin"].port
    attempts = [
        ("PUT", "/faults/cart", {"json": [{"type": "hang"}], "headers": {"Origin": EVIL}}),
        ("DELETE", "/faults/cart", {"headers": {"Origin": EVIL}}),
        ("POST", "/timeline/start", {"headers": {"Origin": EVIL}}),
        # DNS rebinding: the page's own name resolves to 127.0.0.1, Host and Origin agree.
        ("POST", "/timeline/start", {"headers": {"Origin": f"http://evil.example:{port}",
                                                 "Host": f"evil.example:{port}"}}),
        ("PUT", "/faults/cart", {"json": [{"type": "hang"}], "headers": {"Origin": "null"}}),
    ]
    for method, path, kwargs in attempts:
        async with client.request(method, admin + path, **kwargs) as response:
            assert response.status == 403, (method, path, kwargs)
            body = await response.json()
            assert body["field"] == "Origin" and "may not change" in body["error"]
    assert await faults_of_cart(client, admin) == []
    assert sim_host.control.timeline.position().armed is False
    async with client.get(f"{admin}/state", headers={"Origin": EVIL}) as response:
        assert response.status == 200  # reads change nothing (and CORS hides the answer)


async def test_the_admins_own_origin_and_tools_without_origin_may_change_state(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    admin = sim_host.urls["admin"]
    port = sim_host.listeners["admin"].port
    for origin in (admin, f"http://localhost:{port}"):
        async with client.put(f"{admin}/faults/cart", json=[{"type": "hang"}],
                              headers={"Origin": origin}) as response:
            assert response.status == 200, origin
    async with client.delete(f"{admin}/faults/cart") as response:  # curl, `sim fault`
        assert response.status == 200
    # What the locustfile sends to arm the timeline: an empty POST, form content type.
    async with client.post(f"{admin}/timeline/start", data=b"",
                           headers={"Content-Type": "application/x-www-form-urlencoded"}
                           ) as response:
        assert response.status == 200


async def test_a_body_that_is_not_json_is_a_415(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    admin = sim_host.urls["admin"]
    # A cross-site <form> or fetch without preflight can send exactly these.
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x"):
        async with client.put(f"{admin}/faults/cart", data=b'[{"type": "hang"}]',
                              headers={"Content-Type": content_type}) as response:
            assert response.status == 415, content_type
            body = await response.json()
            assert body["field"] == "Content-Type" and "application/json" in body["error"]
    assert await faults_of_cart(client, admin) == []


async def test_with_a_token_the_token_decides(tmp_path: Path) -> None:
    config = free_config(admin_token="s3cret", data_dir=tmp_path)
    async with SimHost(config) as host, aiohttp.ClientSession() as client:
        admin = host.urls["admin"]
        async with client.put(f"{admin}/faults/cart", json=[{"type": "hang"}],
                              headers={"Origin": EVIL}) as response:
            assert response.status == 401  # a page cannot send the token
        async with client.put(f"{admin}/faults/cart", json=[{"type": "hang"}],
                              headers={"Origin": "https://dashboard.example",
                                       "Authorization": "Bearer s3cret"}) as response:
            assert response.status == 200  # a tool of the user's, given the token
