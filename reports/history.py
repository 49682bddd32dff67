"""Run history: every run's summary in a SQLite file under .sim/ (aiosqlite), so a gate
can compare with the latest passing run of the same kind (`sim run` or `sim smoke`),
scenario, policy and length.

Files from before `kind` and `duration` existed are migrated in place when opened
(columns added, rows kept): their rows have neither, so such a row is a last-pass only
when its report shows the same length (a 15 s smoke run never stands in for a full run).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from sim.durations import parse_duration
from sim.errors import ConfigError

DEFAULT_DB = Path(".sim") / "history.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    scenario TEXT NOT NULL,
    policy TEXT NOT NULL,
    seed INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    p50 REAL, p95 REAL, p99 REAL,
    error_ratio REAL, degraded_ratio REAL,
    report_path TEXT NOT NULL,
    kind TEXT,
    duration REAL
)
"""
# Added after the first release: (column, SQL type), each NULL in rows written before.
_ADDED = (("kind", "TEXT"), ("duration", "REAL"))
_COLUMNS = ("id", "started_at", "scenario", "policy", "seed", "passed", "complete",
            "requests", "p50", "p95", "p99", "error_ratio", "degraded_ratio", "report_path",
            "kind", "duration")
KINDS = ("run", "smoke")
SAME_LENGTH = 1e-6  # seconds: lengths are sums of phase durations, compared as floats


@asynccontextmanager
async def _opened(db: Path, create: bool = False) -> AsyncIterator[aiosqlite.Connection]:
    """The history, with the runs table; a damaged or foreign file is one clear error."""
    try:
        if create:
            await asyncio.to_thread(db.parent.mkdir, parents=True, exist_ok=True)
        async with aiosqlite.connect(db) as conn:
            await _migrate(conn)
            yield conn
    except (sqlite3.Error, OSError) as exc:
        raise ConfigError("history", f"cannot use the run history ({exc}); move the file "
                                     f"away to start a new history", source=str(db)) from None


async def _migrate(conn: aiosqlite.Connection) -> None:
    """The table, created or brought up to date: columns added since a file was written."""
    await conn.execute(_SCHEMA)
    async with conn.execute("PRAGMA table_info(runs)") as cursor:
        present = {row[1] for row in await cursor.fetchall()}
    for column, sql_type in _ADDED:
        if column not in present:
            await conn.execute(f"ALTER TABLE runs ADD COLUMN {column} {sql_type}")
    await conn.commit()


def scenario_seconds(report: Mapping[str, Any]) -> float:
    """The length of the scenario a report ran (its phases, after --duration)."""
    return sum(parse_duration(phase["duration"], "scenario.phases.duration")
               for phase in report["scenario"]["phases"])


async def record_run(db: Path, report: Mapping[str, Any], report_path: str,
                     kind: str = "run") -> int:
    """Append one run; `report_path` should be absolute so the history works from anywhere.
    `kind`: "run" (`sim run`) or "smoke" (`sim smoke`'s shortened runs)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    overall = report["client"]["overall"]
    async with _opened(db, create=True) as conn:
        cursor = await conn.execute(
            "INSERT INTO runs (started_at, scenario, policy, seed, passed, complete, requests,"
            " p50, p95, p99, error_ratio, degraded_ratio, report_path, kind, duration)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (report["environment"]["started_at"], report["scenario"]["name"],
             report["policy"]["name"], report["seed"], int(report["passed"]),
             int(report["complete"]), overall["requests"], overall["p50"], overall["p95"],
             overall["p99"], overall["error_ratio"], overall["degraded_ratio"],
             report_path, kind, scenario_seconds(report)))
        await conn.commit()
        return int(cursor.lastrowid or 0)


async def list_runs(db: Path, scenario: str | None = None, limit: int = 20
                    ) -> list[dict[str, Any]]:
    if not await asyncio.to_thread(db.exists):
        return []
    async with _opened(db) as conn:
        query = f"SELECT {', '.join(_COLUMNS)} FROM runs"
        params: tuple[Any, ...] = ()
        if scenario:
            query += " WHERE scenario = ?"
            params = (scenario,)
        query += " ORDER BY id DESC LIMIT ?"
        async with conn.execute(query, (*params, limit)) as cursor:
            rows = await cursor.fetchall()
    return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]


async def last_pass(db: Path, scenario: str, policy: str, kind: str = "run",
                    duration: float | None = None) -> Path | None:
    """The newest passing, complete run of `scenario` under `policy`, of the same `kind`
    and (if given) `duration` in seconds, whose report.json is still the one recorded: a
    run directory replaced since (`--force`) or deleted is skipped, never compared with."""
    if not await asyncio.to_thread(db.exists):
        return None
    async with _opened(db) as conn, conn.execute(
            "SELECT report_path, started_at FROM runs WHERE scenario = ? AND policy = ?"
            " AND passed = 1 AND complete = 1 AND (kind = ? OR kind IS NULL)"
            " AND (? IS NULL OR duration IS NULL OR abs(duration - ?) < ?)"
            " ORDER BY id DESC", (scenario, policy, kind, duration, duration, SAME_LENGTH)
    ) as cursor:
        rows = await cursor.fetchall()
    for path, started_at in rows:
        if await asyncio.to_thread(_still_recorded, Path(path), started_at, duration):
            return Path(path)
    return None


def _still_recorded(path: Path, started_at: str, duration: float | None) -> bool:
    """The recorded run is still there, whole: a finished set (its manifest written last)
    whose report has the recorded start time (and `duration`: rows from before the column
    was added are judged by their report)."""
    from reports.files import finished_set, read_report

    if not finished_set(path.parent):
        return False
    try:
        report = read_report(path)
        length = scenario_seconds(report)
    except (ConfigError, KeyError, TypeError, ValueError):  # gone, or an older format
        return False
    environment = report.get("environment")
    return (isinstance(environment, dict) and environment.get("started_at") == started_at
            and report.get("complete") is True
            and (duration is None or abs(length - duration) < SAME_LENGTH))


async def mark_interrupted_run(db: Path, run_id: int) -> None:
    """A recorded run that was interrupted before `sim` exited: never a last-pass."""
    async with _opened(db) as conn:
        await conn.execute("UPDATE runs SET complete = 0, passed = 0 WHERE id = ?", (run_id,))
        await conn.commit()


async def run_path(db: Path, run_id: int) -> Path | None:
    """The report.json recorded under history id `run_id` (`sim history` shows ids)."""
    if not await asyncio.to_thread(db.exists):
        return None
    async with aiosqlite.connect(db) as conn:
        await conn.execute(_SCHEMA)
        async with conn.execute("SELECT report_path FROM runs WHERE id = ?",
                                (run_id,)) as cursor:
            row = await cursor.fetchone()
    return Path(row[0]) if row else None
