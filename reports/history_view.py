"""`sim history` in the terminal: one row per recorded run, newest first, with what kind
of run it was and how long its scenario ran (pure rendering of reports/history.py rows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.text import Text

from reports.fit import Col, fit

# `keep`: at a narrow console the lowest go first (the id always stays: `sim compare` and
# `sim run --baseline` take it).
COLUMNS = (
    Col("id", keep=99), Col("started", numeric=False, keep=5),
    Col("scenario", numeric=False, keep=9), Col("policy", numeric=False, keep=7),
    Col("kind", numeric=False, keep=8), Col("length", keep=8), Col("seed", keep=1),
    Col("requests", keep=3), Col("p95 ms", keep=6), Col("failed %", keep=4),
    Col("verdict", numeric=False, keep=9), Col("report", numeric=False),
)


def length_text(seconds: float | None) -> str:
    """The scenario's length (its phases, after --duration) with its unit; "-" for rows
    from before it was recorded."""
    return "-" if seconds is None else f"{seconds:g} s"


def history_row(row: Mapping[str, Any]) -> list[str]:
    verdict = "pass" if row["passed"] else ("FAIL" if row["complete"] else "partial")
    p95 = "-" if row["p95"] is None else f"{row['p95'] * 1000:.0f}"
    return [str(row["id"]), row["started_at"].replace("T", " "), row["scenario"],
            row["policy"], row["kind"] or "-", length_text(row["duration"]),
            str(row["seed"]), str(row["requests"]), p95,
            f"{(row['error_ratio'] or 0.0) * 100:.1f}", verdict, row["report_path"]]


def history_table(rows: Sequence[Mapping[str, Any]]) -> RenderableType:
    if not rows:
        return Text("no runs recorded yet (sim run and sim smoke record each run in "
                    ".sim/history.db)")
    return fit("run history (newest first)", COLUMNS, [history_row(row) for row in rows],
               more="a wider terminal shows them")
