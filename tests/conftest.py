"""Shared fixtures: a real simulator on free loopback ports (port 0)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sim.host import HostConfig, SimHost
from sim.plan import FaultPlan
from tests.cli_helpers import SIM

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


# A real report.json, built by `sim run` from a short inventory-outage run once per session:
# renderers, gate and report.json checks are tested against what build_report writes
# today, not a stored copy that drifts.
SHORT_OUTAGE = Path(__file__).parent / "scenarios_fixtures" / "short-outage.toml"


@pytest.fixture(scope="session")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("outage-run")  # its .sim/history.db stays in here
    result = subprocess.run([SIM, "run", "--scenario", str(SHORT_OUTAGE), "--out", "run"],
                            cwd=workdir, capture_output=True, text=True, timeout=50,
                            env={**os.environ, "NO_COLOR": "1"}, check=False)
    assert result.returncode in (0, 1), result.stderr  # 1: an SLO missed on a busy machine
    return workdir / "run" / "report.json"


@pytest.fixture(scope="session")
def built_report(report_file: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(report_file.read_text())
    return data
