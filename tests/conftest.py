"""Shared fixtures: a real simulator on free loopback ports (port 0)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sim.host import HostConfig, SimHost
from sim.plan import FaultPlan
from tests.cli_helpers import OutageRun, run_outage

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


# A real report.json, built by `sim run` from a short inventory-outage run once per test
# session: renderers, gate and report.json checks are tested against what build_report
# writes today, not a stored copy that drifts; the CLI tests read its exit code and summary.
SHORT_OUTAGE = Path(__file__).parent / "scenarios_fixtures" / "short-outage.toml"


@pytest.fixture(scope="session")
def outage_run(tmp_path_factory: pytest.TempPathFactory) -> OutageRun:
    """Under pytest-xdist every worker would run it: the first one runs it under a lock in
    the directory the workers share, the others read what it left (its exit code and
    output saved beside it)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return run_outage(SHORT_OUTAGE, tmp_path_factory.mktemp("outage-run"))
    shared = tmp_path_factory.getbasetemp().parent
    workdir, saved = shared / "outage-run", shared / "outage-run.json"
    with (shared / "outage-run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not saved.exists():
            shutil.rmtree(workdir, ignore_errors=True)  # a worker's run that timed out
            workdir.mkdir()
            run = run_outage(SHORT_OUTAGE, workdir)
            saved.write_text(json.dumps({"returncode": run.returncode, "stdout": run.stdout,
                                         "stderr": run.stderr}))
        return OutageRun(workdir, **json.loads(saved.read_text()))


@pytest.fixture(scope="session")
def report_file(outage_run: OutageRun) -> Path:
    # 1: an SLO missed on a busy machine; the renderers only need a complete report.
    assert outage_run.returncode in (0, 1), outage_run.stderr
    return outage_run.out / "report.json"


@pytest.fixture(scope="session")
def built_report(report_file: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(report_file.read_text())
    return data
