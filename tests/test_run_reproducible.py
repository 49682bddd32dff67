"""`sim run flaky-cart --seed 7`, twice, with different loads: each run's cart decisions
are the first n of the one sequence the seed, service and phase fix, whatever n the load
allowed, and the report has one seed field.

Each run's digests are checked against the same stream replayed here for that run's own
count, so the two runs are compared on their first min(n_a, n_b) decisions (and on all of
each), not only when both reach sim.engine.DIGEST_FIRST: a busy machine serves fewer pages."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from scenarios.loader import load_scenario
from sim.engine import DecisionStream
from sim.faults.fail_first import FailFirst
from tests.cli_helpers import SIM

SEED = 7
FEWEST = 20  # cart decisions a run needs for the comparison to mean much (~0.5 s of load)


def count_keys(value: Any, key: str) -> int:
    if isinstance(value, dict):
        return (key in value) + sum(count_keys(v, key) for v in value.values())
    if isinstance(value, list):
        return sum(count_keys(v, key) for v in value)
    return 0


def replayed(decisions: int) -> dict[str, Any]:
    """The digest flaky-cart's cart stream has after `decisions` decisions under SEED."""
    faults = load_scenario("flaky-cart").phases[0].phase.faults["cart"]
    # Without fail_first, a decision does not depend on the request's path.
    assert not any(isinstance(fault, FailFirst) for fault in faults)
    stream = DecisionStream(SEED, "cart", "phase:flaky", faults=faults)
    for _ in range(decisions):
        stream.decide(faults, lambda: "GET /users/1/cart")
    return stream.digest.to_dict()


def test_two_loads_same_seed_same_first_decisions_per_phase(tmp_path: Path) -> None:
    runs = {users: tmp_path / f"users-{users}" for users in (3, 9)}
    processes = [subprocess.Popen([SIM, "run", "--scenario", "flaky-cart", "--seed", str(SEED),
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
        assert report["seed"] == SEED
        assert count_keys(report, "seed") == 1  # not also in `scenario` or `faults.plan`
    few, many = ({d["stream"]: d for d in r["faults"]["decisions"]["cart"]} for r in reports)
    assert few.keys() == many.keys() and "phase:flaky" in few
    counts = [few["phase:flaky"]["decisions"], many["phase:flaky"]["decisions"]]
    assert min(counts) >= FEWEST, counts
    assert counts[0] != counts[1]  # the loads differ, and so does how far each got
    # Both are prefixes of one sequence, so they agree on their first min(counts); the
    # report's first_sha256 (first DIGEST_FIRST) is checked along with the rest.
    for flaky in (few["phase:flaky"], many["phase:flaky"]):
        reference = replayed(flaky["decisions"])
        assert {key: flaky[key] for key in reference} == reference
