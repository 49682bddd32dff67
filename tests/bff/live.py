"""A real simulator plus BFF on free loopback ports, for the integration tests."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bff.app import Bff, attach_bff
from bff.overrides import build_policy
from sim.host import SimHost
from tests.conftest import free_config


@dataclass
class Answer:
    status: int
    body: Any
    elapsed: float
    server_timing: str


@dataclass
class Live:
    host: SimHost
    bff: Bff
    client: aiohttp.ClientSession

    async def faults(self, service: str, faults: list[dict[str, Any]]) -> None:
        async with self.client.put(f"{self.host.urls['admin']}/faults/{service}",
                                   json=faults) as response:
            assert response.status == 200, await response.text()

    async def get(self, path: str = "/products/all",
                  headers: Mapping[str, str] | None = None) -> Answer:
        started = time.monotonic()
        async with self.client.get(self.host.urls["bff"] + path, headers=headers) as r:
            body = await r.json()
            return Answer(r.status, body, time.monotonic() - started,
                          r.headers.get("Server-Timing", ""))

    def counter(self, metric: str, *labels: str) -> int:
        return self.host.ledger.counters[(metric, labels)]


@asynccontextmanager
async def live_bff(tmp_path: Path, preset: str = "resilient",
                   overrides: Mapping[str, Any] | None = None,
                   **config: Any) -> AsyncIterator[Live]:
    policy = build_policy(preset, dict(overrides or {}))
    async with SimHost(free_config(data_dir=tmp_path / "data", **config)) as host:
        bff = await attach_bff(host, policy, 0)
        async with aiohttp.ClientSession() as client:
            yield Live(host, bff, client)
