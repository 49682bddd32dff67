"""locust's users draw their choices from the run's seed: same seed, same requests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from scenarios.locust_process import LocustFiles, LocustProcess


async def users_sent(tmp_path: Path, seed: int) -> list[str]:
    """The X-User-Id of each request one locust user sends to a recording server."""
    seen: list[str] = []

    async def storefront(request: web.Request) -> web.Response:
        seen.append(request.headers["X-User-Id"])
        return web.json_response({"degraded": []})

    app = web.Application()
    app.router.add_get("/products/all", storefront)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    spec = {"phases": [{"name": "p", "duration": 2, "users": 1, "spawn_rate": 10}],
            "think": [0.01, 0.02], "users": 1_000_000, "seed": seed, "admin_url": None}
    await asyncio.to_thread(tmp_path.mkdir)
    locust = LocustProcess(LocustFiles(tmp_path), f"http://127.0.0.1:{port}", spec)
    try:
        await locust.start()
        code, stderr = await asyncio.wait_for(locust.wait(), 50)
        assert code == 0, stderr
    finally:
        locust.kill_group()
        await runner.cleanup()
    return seen


async def test_same_seed_same_user_ids_from_each_user(tmp_path: Path) -> None:
    first, again, other = await asyncio.gather(users_sent(tmp_path / "a", 7),
                                               users_sent(tmp_path / "b", 7),
                                               users_sent(tmp_path / "c", 8))
    n = min(len(first), len(again), len(other))
    assert n >= 10, (len(first), len(again), len(other))
    assert first[:n] == again[:n]
    assert first[:n] != other[:n]
