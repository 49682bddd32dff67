"""`sim run` as a user runs it: a real simulator, BFF and locust subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli_helpers import SIM, OutageRun

SHORT_OUTAGE = Path(__file__).parent / "scenarios_fixtures" / "short-outage.toml"

# The tests of one module-scoped run share a worker (--dist loadgroup): one run, not one per worker.
ONE_RUN = pytest.mark.xdist_group("slow_inventory")


def locust_processes(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines()
            if "scenarios.locust_child" in line and marker in line]


def test_a_short_run_writes_every_file_and_passes(outage_run: OutageRun) -> None:
    # The session's shared short-outage run (tests/conftest.py), as a user starts it.
    out = outage_run.out
    assert outage_run.returncode == 0, outage_run.stdout[-3000:] + outage_run.stderr[-3000:]
    for name in ("report.json", "report.html", "report.md", "junit.xml", "locust.html",
                 "locust_stats.csv"):
        assert (out / name).exists(), name
    report = json.loads((out / "report.json").read_text())
    assert report["complete"] is True
    assert report["passed"] is True
    outage = report["client"]["phases"]["outage"]
    assert outage["requests"] > 50
    assert outage["degraded_ratio"] > 0.9  # inventory served from the fallback
    assert report["scoring"]["inventory"]["phases"]["outage"]["time_to_open"] < 2.0
    assert report["downstreams"]["inventory"]["not_permitted"] > 0
    # The summary a user reads ends with the verdicts and where the files are.
    assert "breaker_time_to_open[inventory@outage]" in outage_run.stdout
    assert "report:" in outage_run.stdout
    # Recorded in the history, from which `sim history` lists it.
    listed = subprocess.run([SIM, "history"], capture_output=True, text=True,
                            cwd=outage_run.workdir, env={**os.environ, "COLUMNS": "250"},
                            timeout=30, check=False)
    assert "short-outage" in listed.stdout


def test_ctrl_c_leaves_a_partial_report_and_no_locust(tmp_path: Path) -> None:
    out = tmp_path / "interrupted"
    with subprocess.Popen([SIM, "run", "--scenario", str(SHORT_OUTAGE), "--out", str(out)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=tmp_path) as process:
        deadline = time.monotonic() + 30
        while not (out / "locust_stats_history.csv").exists():
            assert time.monotonic() < deadline, "locust never started"
            time.sleep(0.2)
        time.sleep(2.0)  # some load, mid-run
        assert locust_processes(str(out))
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stdout[-2000:] + stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert report["interrupted"] is True
    assert report["complete"] is False
    assert report["passed"] is False
    assert any("interrupted" in problem for problem in report["problems"])
    assert report["client"]["overall"]["requests"] > 0  # what ran before Ctrl-C is kept
    assert "Traceback" not in stderr
    time.sleep(0.5)
    assert locust_processes(str(out)) == []


def run_sim_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SIM, *args], capture_output=True, text=True, timeout=180,
                          check=False, cwd=cwd, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def slow_inventory(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One real 8 s run of the built-in slow-inventory scenario under its own policy.

    Its latency SLOs (p95 <= 200 ms, p99 <= 500 ms) are calibrated on a quiet machine
    (docs/scenarios.md: 20 ms and 34 ms there). On a loaded one (load 9-11 on 2 cores,
    breaker open in 0.7-0.9 s) every page took longer, p95 600 ms and p99 1.2 s, and the
    run exits 1 on them: so exit 1 is accepted here as long as only latency verdicts
    failed; what this scenario is about is asserted below on the report."""
    root = tmp_path_factory.mktemp("slow")
    result = run_sim_cli("run", "--scenario", "slow-inventory", "--duration", "8s",
                         "--out", str(root / "run"), cwd=root)
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-2000:]
    report = json.loads((root / "run" / "report.json").read_text())
    failed = [v["id"] for v in report["slos"] if v["status"] != "pass"]
    assert all(v.startswith("latency_") for v in failed), failed
    assert (result.returncode == 1) == bool(failed), result.stdout[-3000:]
    return root / "run", result.stdout


@ONE_RUN
def test_slow_inventory_times_out_opens_the_breaker_and_degrades(
        slow_inventory: tuple[Path, str]) -> None:
    out, stdout = slow_inventory
    report = json.loads((out / "report.json").read_text())
    inventory = report["downstreams"]["inventory"]
    assert inventory["timeouts_per_try"] > 0  # calls to a 0-5 s inventory time out ...
    assert report["scoring"]["inventory"]["phases"]["slow"]["time_to_open"] < 2.0  # ... trip
    assert inventory["not_permitted"] > inventory["timeouts_per_try"]  # ... and stop calling
    assert inventory["fallbacks"]  # null or last-good inventory in the answers
    assert report["client"]["overall"]["degraded_ratio"] > 0.9
    # Bounded by the 1.5 s deadline, where naive waits ~5 s (quiet: 20 ms; loaded: 0.6 s).
    assert report["client"]["overall"]["p95"] < 1.5
    assert report["breaker_timeline"][0]["to"] == "open"
    assert "PASS" in stdout
    assert "breaker_time_to_open[inventory@slow]" in stdout


@ONE_RUN
def test_a_disabled_breaker_is_caught_against_the_baseline(
        slow_inventory: tuple[Path, str], tmp_path: Path) -> None:
    baseline, _ = slow_inventory
    result = run_sim_cli("run", "--scenario", "slow-inventory", "--duration", "8s",
                         "--set", "inventory.breaker.mode=disabled",
                         "--baseline", str(baseline / "report.json"),
                         "--out", str(tmp_path / "worse"), cwd=tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    report = json.loads((tmp_path / "worse" / "report.json").read_text())
    failed = {check["id"] for check in report["baseline"]["checks"] if not check["passed"]}
    assert "baseline:time_to_open[inventory,slow]" in failed
    assert "baseline:p95[all]" in failed
    assert "inventory breaker never opened in slow" in result.stdout
    junit = (tmp_path / "worse" / "junit.xml").read_text()
    assert 'name="baseline:time_to_open[inventory,slow]"' in junit
