"""`sim ab`: two configurations in one run (real simulator hosts, BFFs and one locust
subprocess), the files it writes, its exit codes, and what it refuses."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cli import app
from scenarios.ab_command import AbRequest, ab_command
from scenarios.loader import load_scenario
from sim.plan import parse_service_faults
from tests.cli_helpers import SIM
from tests.procs import locust_group, wait_gone


def _ab(cwd: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SIM, "ab", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})


BAD_USAGE = [
    (["--target-a", "http://127.0.0.1:9"], "--target-a/--target-b: give both"),
    (["--rounds", "0"], "--rounds: must be at least 1, got 0"),
    (["--allow", "p95=fast"], "--allow.p95: expected a duration"),
    (["--duration", "1s"], "must give each of the 2 phases at least 1 s"),
    (["--target-a", "ftp://x", "--target-b", "http://127.0.0.1:9"], "--target-a: expected"),
    (["--target-a", "http://127.0.0.1:9", "--target-b", "nowhere"], "--target-b: expected"),
    (["--target-a", "http://127.0.0.1:9", "--target-b", "http://127.0.0.1:9",
      "--policy-b", "book"], "--policy-b: an external BFF (--target-b) runs its own"),
    (["--cart-port", "0"], "--cart-port: only with --target-a/--target-b"),
    (["--ports-file", "p.json"], "--ports-file: only with --target-a/--target-b"),
]


@pytest.mark.parametrize(("args", "message"), BAD_USAGE)
def test_bad_usage_exits_2_with_one_line(tmp_path: Path, args: list[str],
                                         message: str) -> None:
    # The real Typer app in-process: `sim ab` imports the statistics (about 3 s of CPU per
    # launch); the console script's own exit is checked once, below.
    result = CliRunner().invoke(app, ["ab", "--scenario", "baseline", "--out",
                                      str(tmp_path / "o"), *args],
                                env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "o").exists()  # refused before any load


def test_bad_usage_from_the_console_script_exits_2_without_a_traceback(tmp_path: Path) -> None:
    args, message = BAD_USAGE[1]
    result = _ab(tmp_path, "--scenario", "baseline", "--out", str(tmp_path / "o"), *args,
                 timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.timeout(300)
def test_same_config_side_by_side_writes_the_verdict_and_noise(tmp_path: Path) -> None:
    out = tmp_path / "ab"
    # One short round on a shared machine: only the plumbing is judged here, not the
    # machine, so every allowance is wide (the gate's power is benchmarks/gate_power.py).
    loose = [arg for key in ("p50=10s", "p95=10s", "p99=10s", "mean=10s", "error_ratio=1",
                             "degraded_ratio=1", "amplification=100", "breaker_opens=100")
             for arg in ("--allow", key)]
    result = _ab(tmp_path, "--scenario", "baseline", "--duration", "4s", "--rounds", "1",
                 "--out", str(out), *loose)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "A = policy resilient (baseline); B = policy resilient (baseline)" in result.stdout
    assert "B - A [interval]" in result.stdout
    assert "CPU busy" in result.stdout
    data = json.loads((out / "ab.json").read_text())
    assert data["schema"] == "bff-sim/ab"
    assert data["mode"] == "side by side"
    assert data["verdict"] in ("pass", "inconclusive")
    p50 = next(c for c in data["checks"] if c["id"] == "p50[all]")
    assert p50["low"] <= p50["estimate"] <= p50["high"]
    # One locust sent every request to A or B at random: both got a fair share.
    requests = [data["noise"]["rounds"][0][f"requests_{side}"] for side in ("a", "b")]
    assert min(requests) > 0.3 * sum(requests)
    for side in ("a", "b"):
        assert (out / "round-1" / side / "report.json").exists()
        assert (out / "round-1" / side / "samples.json").exists()
    assert "| check | B - A [interval] |" in (out / "ab.md").read_text()


@pytest.mark.timeout(300)
def test_a_slower_b_is_caught_and_exits_1(tmp_path: Path) -> None:
    """B's products answer 60 ms later (naive policy: no timeout changes the picture)."""
    scenario = load_scenario("baseline").with_duration(5.0)
    slow = parse_service_faults({"products": [{"type": "latency", "delay": "60ms"}]},
                                "faults")
    scenario_b = replace(scenario, base_faults=slow)
    request = AbRequest(scenario, policy_a="naive", policy_b="naive", out=tmp_path / "ab",
                        rounds=1)
    text = io.StringIO()
    code = ab_command(request, Console(file=text, width=200), scenario_b)
    assert code == 1, text.getvalue()
    data = json.loads((tmp_path / "ab" / "ab.json").read_text())
    p50 = next(c for c in data["checks"] if c["id"] == "p50[all]")
    assert p50["verdict"] == "fail"
    assert p50["estimate"] > 0.012  # 60 ms added; 5x slack for a loaded machine
    assert "verdict: FAIL" in text.getvalue()
    assert "❌" in (tmp_path / "ab" / "ab.md").read_text()


@pytest.mark.timeout(120)
def test_ctrl_c_mid_round_2_writes_round_1_and_leaves_no_locust(tmp_path: Path) -> None:
    out = tmp_path / "ab"
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    with subprocess.Popen([SIM, "ab", "--scenario", "baseline", "--duration", "2s",
                           "--rounds", "3", "--users", "4", "--out", str(out)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          cwd=tmp_path) as process:
        deadline = time.monotonic() + 60
        while not (out / "round-2" / "locust_stats_history.csv").exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "round 2 never started"
            time.sleep(0.05)
        locust = locust_group(process.pid)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert "interrupted (SIGINT): ab.json covers the 1 round(s) completed" in stdout
    assert "Traceback" not in stderr
    data = json.loads((out / "ab.json").read_text())
    assert data["interrupted"] is True and data["passed"] is False
    assert data["rounds"] == {"a": 1, "b": 1}  # round 2, cut short, is left out
    assert data["verdict"] in ("pass", "fail", "inconclusive") and data["checks"]
    assert [r["round"] for r in data["noise"]["rounds"]] == [1]
    assert (out / "ab.md").read_text().startswith("## baseline A/B (interrupted)")
    assert wait_gone(locust, 10) == []
