"""The run history's last-pass: only a run of the same kind, scenario, policy and length,
and history files written before `kind` existed keep working."""

from __future__ import annotations

import copy
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reports.history import last_pass, list_runs, record_run
from reports.outputs import write_outputs
from sim import aio
from sim.durations import format_duration
from tests.cli_helpers import SIM

FULL = 15.0  # tests/scenarios_fixtures/short-outage.toml: phases of 3, 5 and 7 s
NAME, POLICY = "short-outage", "resilient"


def written(root: Path, name: str, report: dict[str, Any], seconds: float | None = None,
            started_at: str | None = None) -> tuple[dict[str, Any], str]:
    """A finished report set on disk, like a real run leaves: the report and the path of
    its report.json."""
    report = {**copy.deepcopy(report), "passed": True}  # whatever a busy machine measured
    if seconds is not None:  # as `--duration` or `sim smoke` shortens it
        phases = report["scenario"]["phases"]
        for phase in phases:
            phase["duration"] = format_duration(seconds / len(phases))
    if started_at is not None:
        report["environment"]["started_at"] = started_at
    write_outputs(root / name, report)
    return report, str(root / name / "report.json")


async def test_a_short_smoke_run_is_never_the_last_pass_of_a_full_run(
        tmp_path: Path, report: dict[str, Any]) -> None:
    db = tmp_path / "history.db"
    full_report, full = written(tmp_path, "full", report, started_at="2026-11-23T10:00:00Z")
    await record_run(db, full_report, full)
    # A newer, passing 3 s smoke run of the same scenario and policy.
    smoke_report, smoke = written(tmp_path, "smoke", report, seconds=3.0)
    await record_run(db, smoke_report, smoke, kind="smoke")

    assert await last_pass(db, NAME, POLICY, "run", FULL) == Path(full)
    assert await last_pass(db, NAME, POLICY, "smoke", 3.0) == Path(smoke)
    assert await last_pass(db, NAME, POLICY, "run", 3.0) is None  # --duration 3s
    assert await last_pass(db, NAME, "naive", "run", FULL) is None
    listed = await list_runs(db)
    assert [(row["kind"], row["duration"]) for row in listed] == [("smoke", 3.0), ("run", FULL)]


async def test_an_old_history_file_is_migrated_and_judged_by_its_reports(
        tmp_path: Path, report: dict[str, Any]) -> None:
    """A history.db from before `kind` and `duration`: its rows stay, and an old smoke row
    (nothing says it was one) is not taken for a full run: its report is 3 s long."""
    db = tmp_path / "history.db"
    _, full = written(tmp_path, "full", report, started_at="2026-11-23T10:00:00Z")
    _, smoke = written(tmp_path, "smoke", report, seconds=3.0)
    with sqlite3.connect(db) as conn:
        conn.execute("""CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL,
            scenario TEXT NOT NULL, policy TEXT NOT NULL, seed INTEGER NOT NULL,
            passed INTEGER NOT NULL, complete INTEGER NOT NULL, requests INTEGER NOT NULL,
            p50 REAL, p95 REAL, p99 REAL, error_ratio REAL, degraded_ratio REAL,
            report_path TEXT NOT NULL)""")
        for started_at, path in (("2026-11-23T10:00:00Z", full),
                                 (report["environment"]["started_at"], smoke)):
            conn.execute("INSERT INTO runs (started_at, scenario, policy, seed, passed,"
                         " complete, requests, report_path) VALUES (?, ?, ?, 1, 1, 1, 100, ?)",
                         (started_at, NAME, POLICY, path))
    conn.close()

    assert await last_pass(db, NAME, POLICY, "run", FULL) == Path(full)
    assert await last_pass(db, NAME, POLICY, "run", 3.0) == Path(smoke)
    newer_report, newer = written(tmp_path, "newer", report,
                                  started_at="2026-11-24T10:00:00Z")
    await record_run(db, newer_report, newer)
    rows = await list_runs(db)
    assert [(row["kind"], row["duration"]) for row in rows] == [
        ("run", FULL), (None, None), (None, None)]
    assert await last_pass(db, NAME, POLICY, "run", FULL) == Path(newer)


async def test_an_unknown_kind_is_refused(tmp_path: Path, report: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="kind"):
        await record_run(tmp_path / "history.db", report, "x", kind="ci")


def sim_history(cwd: Path, columns: int) -> str:
    result = subprocess.run([SIM, "history"], capture_output=True, text=True, cwd=cwd,
                            env={**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"},
                            timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_sim_history_shows_each_runs_kind_and_length_with_its_unit(
        tmp_path: Path, report: dict[str, Any]) -> None:
    db = tmp_path / ".sim" / "history.db"
    full_report, full = written(tmp_path, "full", report, started_at="2026-11-23T10:00:00Z")
    aio.run(record_run(db, full_report, full))
    smoke_report, smoke = written(tmp_path, "smoke", report, seconds=3.0)
    aio.run(record_run(db, smoke_report, smoke, kind="smoke"))

    wide = sim_history(tmp_path, 250)
    lines = {line.split("│")[1].strip(): line for line in wide.splitlines()
             if line.startswith("│")}
    assert [cell.strip() for cell in lines["1"].split("│")[5:7]] == ["run", "15 s"]
    assert [cell.strip() for cell in lines["2"].split("│")[5:7]] == ["smoke", "3 s"]
    # At 80 columns the id, kind, length and verdict stay whole; the rest is named.
    narrow = sim_history(tmp_path, 80)
    assert all(len(line) <= 80 for line in narrow.splitlines())
    assert "…" not in narrow
    assert "smoke" in narrow and "3 s" in narrow and "15 s" in narrow
    assert "left out at 80 columns:" in narrow
