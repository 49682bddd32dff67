"""Shared fixtures: a real simulator on free loopback ports (port 0)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from sim.host import HostConfig, SimHost
from sim.plan import FaultPlan

FREE_PORTS = {"products": 0, "inventory": 0, "favorites": 0, "cart": 0, "admin": 0, "bff": 0}


def free_config(**overrides: object) -> HostConfig:
    fields: dict[str, object] = {"ports": dict(FREE_PORTS), "seed": 7}
    fields.update(overrides)
    return HostConfig(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def sim_host(tmp_path: Path) -> AsyncIterator[SimHost]:
    async with SimHost(free_config(data_dir=tmp_path / "data", plan=FaultPlan())) as host:
        yield host


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    # aiohttp silently re-sends an idempotent request once when the connection drops, which
    # would double every injected reset; the tests (like the BFF) want to see each one.
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        session._retry_connection = False
        yield session
