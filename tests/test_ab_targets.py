"""`sim ab --target-a URL --target-b URL`: two external BFFs in their own processes (the
book's listing, benchmarks/book_bff.py; B adds a delay to every answer), fed the
simulator's ports through --ports-file; the errors about a bad target name the option
that was typed; a Ctrl-C mid-run leaves the rounds completed in ab.json and no process
behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.procs import locust_group, wait_gone
from tests.test_external_target import SERVICES, book_bff, free_port, wait_for

SIM = str(Path(sys.executable).parent / "sim")
PORTS = ["--products-port", "0", "--inventory-port", "0", "--favorites-port", "0",
         "--cart-port", "0", "--admin-port", "0"]
# One short steady phase with no faults: what matters is which BFF answers faster.
QUICK = """
name = "ab-quick"
description = "One short steady phase, no faults: sim ab against two external BFFs."
tags = ["test"]
seed = 5
[policy]
preset = "resilient"
[load]
users = 4
spawn_rate = 50
think_time = { min = "20ms", max = "50ms" }
[[phases]]
name = "steady"
duration = "1s"
"""
DELAY = 0.25  # seconds added by B on every page: far above a loaded machine's noise


def start_ab(cwd: Path, *args: str, scenario: str = QUICK) -> subprocess.Popen[str]:
    (cwd / "quick.toml").write_text(scenario)
    return subprocess.Popen([SIM, "ab", "--scenario", "quick.toml", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=cwd, env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})


def two_targets(tmp_path: Path, *extra: str, scenario: str = QUICK
                ) -> tuple[subprocess.Popen[str], Path, str, str]:
    port_a, port_b = free_port(), free_port()
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    ab = start_ab(tmp_path, "--target-a", url_a, "--target-b", url_b, "--ports-file",
                  "ports.json", *PORTS, "--duration", "1s", "--out", "ab", *extra,
                  scenario=scenario)
    return ab, tmp_path / "ports.json", url_a, url_b


@pytest.mark.timeout(120)
def test_two_external_bffs_alternate_and_the_slower_b_fails(tmp_path: Path) -> None:
    # 3 rounds: with fewer, alternating runs are separate runs, whose latencies are
    # shown but not judged (the machine may differ between them).
    ab, ports_file, url_a, url_b = two_targets(tmp_path, "--rounds", "3", "--allow",
                                               "p50=20ms")
    with ab:
        handed = wait_for(ports_file, ab)
        port_a, port_b = (int(url.rsplit(":", 1)[1]) for url in (url_a, url_b))
        with book_bff(port_a, handed["urls"]), book_bff(port_b, handed["urls"], DELAY):
            stdout, stderr = ab.communicate(timeout=100)
    assert ab.returncode == 1, stdout[-3000:] + stderr[-2000:]
    assert "verdict: FAIL" in stdout
    assert "A = external at " + url_a in stdout
    data = json.loads((tmp_path / "ab" / "ab.json").read_text())
    assert data["mode"] == "alternating"
    assert data["interrupted"] is False
    assert [v["policy"] for v in data["variants"]] == ["external", "external"]
    p50 = next(c for c in data["checks"] if c["id"] == "p50[steady]")
    assert p50["verdict"] == "fail"
    assert DELAY / 5 < p50["estimate"] < DELAY * 5
    reports = {(r, side): json.loads((tmp_path / "ab" / f"round-{r}" / side /
                                      "report.json").read_text())
               for r in (1, 2, 3) for side in ("a", "b")}
    for report in reports.values():  # each side judged from its traffic, on one address
        assert report["policy"]["name"] == "external"
        seen = report["blackbox"]["services"]
        assert seen["products"]["calls_per_page"] == pytest.approx(1.0, abs=0.1)
        assert {k: v for k, v in report["ports"].items() if k in SERVICES} == \
            {k: handed["ports"][k] for k in SERVICES}
    started = {key: r["environment"]["started_at"] for key, r in reports.items()}
    assert started[(1, "a")] <= started[(1, "b")] <= started[(2, "b")] <= started[(2, "a")] \
        <= started[(3, "a")] <= started[(3, "b")]
    # The inferred amplification is gated for external BFFs too (the book never retries).
    assert any(c["id"] == "amplification[inventory]" and c["verdict"] != "fail"
               for c in data["checks"])


def test_a_target_a_that_is_down_fails_in_one_line_naming_it(tmp_path: Path) -> None:
    url_a = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    ab = start_ab(tmp_path, "--target-a", url_a, "--target-b", "http://127.0.0.1:9",
                  "--target-wait", "1s", *PORTS, "--rounds", "1", "--out", "ab")
    stdout, stderr = ab.communicate(timeout=60)
    assert ab.returncode == 2, stdout + stderr
    assert stderr.strip().splitlines() == [
        f"error: --target-a: {url_a} did not accept connections within 1 s (Connection "
        f"refused); is the BFF running?"]


def test_a_target_b_that_is_down_is_named_after_a_ran(tmp_path: Path) -> None:
    ab, ports_file, url_a, url_b = two_targets(tmp_path, "--rounds", "1",
                                               "--target-wait", "5s")
    with ab:
        handed = wait_for(ports_file, ab)
        with book_bff(int(url_a.rsplit(":", 1)[1]), handed["urls"]):
            stdout, stderr = ab.communicate(timeout=60)
    assert ab.returncode == 2, stdout + stderr
    assert stderr.strip().splitlines() == [
        f"error: --target-b: {url_b} did not accept connections within 5 s (Connection "
        f"refused); is the BFF running?"]
    assert (tmp_path / "ab" / "round-1" / "a" / "report.json").exists()  # A did run


def test_a_target_that_never_calls_the_simulator_is_named(tmp_path: Path) -> None:
    port_a = free_port()
    nowhere = f"http://127.0.0.1:{free_port()}"
    ab = start_ab(tmp_path, "--target-a", f"http://127.0.0.1:{port_a}", "--target-b",
                  f"http://127.0.0.1:{free_port()}", *PORTS, "--duration", "1s",
                  "--rounds", "1", "--out", "ab")
    with ab, book_bff(port_a, dict.fromkeys(SERVICES, nowhere)):  # wired to nothing
        stdout, stderr = ab.communicate(timeout=60)
    assert ab.returncode == 2, stdout + stderr
    assert "error: --target-a: the target made 0 calls to products, inventory, favorites, " \
           "cart" in stderr
    assert "Traceback" not in stderr


def test_targets_that_answer_only_errors_fail_the_gate(tmp_path: Path) -> None:
    """Both BFFs alike, both answering 500 to every page (products fails): the statistics
    see no difference, but nothing was measured worth a verdict."""
    failing = QUICK + 'faults.products = [{ type = "error", status = 500 }]\n'
    # 3 s rounds: a 1 s round on a starved machine (parallel tests) can end before a page
    # request is made, and a side without requests has no "every request failed" to name.
    ab, ports_file, url_a, url_b = two_targets(tmp_path, "--rounds", "1", "--duration", "3s",
                                               scenario=failing)
    with ab:
        handed = wait_for(ports_file, ab)
        port_a, port_b = (int(url.rsplit(":", 1)[1]) for url in (url_a, url_b))
        with book_bff(port_a, handed["urls"]), book_bff(port_b, handed["urls"]):
            stdout, stderr = ab.communicate(timeout=60)
    assert ab.returncode == 1, stdout[-3000:] + stderr[-2000:]
    assert "error: --target-a: every page request to the target failed (500 x" in stdout
    assert "error: --target-b: every page request to the target failed (500 x" in stdout
    data = json.loads((tmp_path / "ab" / "ab.json").read_text())
    assert data["verdict"] == "fail" and data["passed"] is False
    assert [p.split(":")[0] for p in data["problems"]] == ["--target-a", "--target-b"]


@pytest.mark.timeout(120)
def test_ctrl_c_mid_round_2_keeps_round_1_and_leaves_nothing_running(
        tmp_path: Path) -> None:
    ab, ports_file, url_a, url_b = two_targets(tmp_path, "--rounds", "3")
    with ab:
        handed = wait_for(ports_file, ab)
        port_a, port_b = (int(url.rsplit(":", 1)[1]) for url in (url_a, url_b))
        with book_bff(port_a, handed["urls"]), book_bff(port_b, handed["urls"]):
            second = tmp_path / "ab" / "round-2" / "b" / "locust_stats_history.csv"
            wait_for_file(second, ab, 60)  # B runs first in round 2 (ABBA)
            locusts = locust_group(ab.pid)
            ab.send_signal(signal.SIGINT)
            stdout, stderr = ab.communicate(timeout=60)
    assert ab.returncode == 130, stdout[-3000:] + stderr[-2000:]
    assert "Traceback" not in stderr
    data = json.loads((tmp_path / "ab" / "ab.json").read_text())
    assert data["interrupted"] is True
    assert data["passed"] is False
    assert data["rounds"] == {"a": 1, "b": 1}
    assert len(data["noise"]["rounds"]) == 1 and data["checks"]
    assert "interrupted" in (tmp_path / "ab" / "ab.md").read_text()
    assert wait_gone(locusts, 10) == []


def wait_for_file(path: Path, process: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
