"""`sim run --processes 2`: locust's own master and workers, the project's per-request
samples shipped to the master; the report has the same fields as a one-process run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import SIM

SHORT_OUTAGE = Path(__file__).parents[1] / "scenarios_fixtures" / "short-outage.toml"


def keys(value: Any, depth: int, prefix: str = "") -> set[str]:
    """Key paths of a report down to `depth`; deeper, keys are data (a retry-blocked reason
    appears only when it happened), not the schema."""
    if isinstance(value, dict) and depth > 0:
        found = set()
        for key, item in value.items():
            found.add(prefix + key)
            found |= keys(item, depth - 1, f"{prefix}{key}.")
        return found
    return set()


@pytest.mark.timeout(90)
def test_two_processes_report_like_one(tmp_path: Path) -> None:
    # Both runs at once, to keep the test short; they use separate free ports.
    env = {**os.environ, "COLUMNS": "200"}
    runs = {}
    for name, extra in (("one", []), ("two", ["--processes", "2"])):
        out = tmp_path / name
        runs[name] = (out, subprocess.Popen(
            [SIM, "run", "--scenario", str(SHORT_OUTAGE), "--out", str(out), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            cwd=tmp_path))
    reports = {}
    for name, (out, process) in runs.items():
        stdout, stderr = process.communicate(timeout=80)
        assert process.returncode in (0, 1), stdout[-3000:] + stderr[-2000:]
        reports[name] = json.loads((out / "report.json").read_text())
    one, two = reports["one"], reports["two"]
    assert one["client"]["workers"] == 1
    assert two["client"]["workers"] == 2  # samples arrived from both worker processes
    assert two["environment"]["locust_processes"] == 2
    assert keys(one, 2) == keys(two, 2)
    # The client side is what the samples from the workers feed: same fields throughout.
    assert keys(one["client"], 3) == keys(two["client"], 3)
    assert two["complete"] is True
    assert two["client"]["overall"]["requests"] > 100
    assert two["client"]["phases"]["outage"]["requests"] > 20
    assert two["downstreams"]["inventory"]["not_permitted"] > 0  # ledger side unchanged
