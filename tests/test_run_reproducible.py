"""`sim run flaky-cart --seed 7`, twice, with different loads: report.json's decision
digests agree on each phase's first decisions, and the report has one seed field."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from sim.engine import DIGEST_FIRST
from tests.cli_helpers import SIM


def count_keys(value: Any, key: str) -> int:
    if isinstance(value, dict):
        return (key in value) + sum(count_keys(v, key) for v in value.values())
    if isinstance(value, list):
        return sum(count_keys(v, key) for v in value)
    return 0


def test_two_loads_same_seed_same_first_decisions_per_phase(tmp_path: Path) -> None:
    runs = {users: tmp_path / f"users-{users}" for users in (3, 9)}
    processes = [subprocess.Popen([SIM, "run", "--scenario", "flaky-cart", "--seed", "7",
                                   "--duration", "6s", "--users", str(users),
                                   "--out", str(out)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  cwd=tmp_path, env={**os.environ, "COLUMNS": "200"})
                 for users, out in runs.items()]
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode in (0, 1), stdout[-2000:] + stderr[-2000:]
    reports = [json.loads((out / "report.json").read_text()) for out in runs.values()]
    for report in reports:
        assert report["complete"], report["problems"]
        assert report["seed"] == 7
        assert count_keys(report, "seed") == 1  # not also in `scenario` or `faults.plan`
    few, many = ({d["stream"]: d for d in r["faults"]["decisions"]["cart"]} for r in reports)
    assert few.keys() == many.keys() and "phase:flaky" in few
    flaky_few, flaky_many = few["phase:flaky"], many["phase:flaky"]
    assert DIGEST_FIRST < flaky_few["decisions"] < flaky_many["decisions"]
    assert flaky_few["first_sha256"] == flaky_many["first_sha256"]
    assert flaky_few["all_sha256"] != flaky_many["all_sha256"]  # the counts differ
