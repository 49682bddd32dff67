"""`sim run --target`: a BFF that is not ours, in its own process (the book's listing,
benchmarks/book_bff.py), fed the simulator's ports through --ports-file."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli_helpers import ALL_FREE, SIM, OutageRun

ROOT = Path(__file__).parent.parent
EXTERNAL = Path(__file__).parent / "scenarios_fixtures" / "external-outage.toml"
SHORT_OUTAGE = Path(__file__).parent / "scenarios_fixtures" / "short-outage.toml"
SERVICES = ("products", "inventory", "favorites", "cart")

# The tests of one module-scoped run share a worker (--dist loadgroup): one run, not one per worker.
ONE_RUN = pytest.mark.xdist_group("external_run")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no ports file"
        time.sleep(0.05)
    data: dict = json.loads(path.read_text())
    return data


@contextmanager
def book_bff(port: int, urls: dict[str, str], delay: float = 0.0
             ) -> Iterator[subprocess.Popen[str]]:
    """The book's BFF; with `delay` (seconds) added to every answer: a slower build."""
    args = [sys.executable, str(ROOT / "benchmarks" / "book_bff.py"), str(port),
            *(urls[name] for name in SERVICES), str(delay)]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}) as bff:
        try:
            yield bff
        finally:
            bff.terminate()
            bff.communicate(timeout=10)


def sim_run(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([SIM, "run", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def external_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, dict, int]:
    """One 10 s run against the book's BFF: it starts after the ports file appears."""
    root = tmp_path_factory.mktemp("external")
    ports_file, port = root / "ports.json", free_port()
    run = sim_run("--scenario", str(EXTERNAL), "--target", f"http://127.0.0.1:{port}",
                  "--ports-file", str(ports_file), *ALL_FREE, "--out", str(root / "run"),
                  cwd=root)
    with run:
        handed = wait_for(ports_file, run)
        with book_bff(port, handed["urls"]):
            stdout, stderr = run.communicate(timeout=120)
    report = json.loads((root / "run" / "report.json").read_text())
    return report, stdout + stderr, handed, run.returncode


@ONE_RUN
def test_the_ports_file_hands_the_bff_every_simulator_url(
        external_run: tuple[dict, str, dict, int]) -> None:
    report, _, handed, _ = external_run
    assert handed["schema"] == "bff-sim/ports"
    assert set(handed["urls"]) == {*SERVICES, "admin"}  # no BFF of ours with --target
    assert all(handed["ports"][name] > 0 for name in SERVICES)  # 0 resolved to real ports
    assert report["ports"]["products"] == handed["ports"]["products"]


@ONE_RUN
def test_an_external_bff_is_judged_from_its_traffic(
        external_run: tuple[dict, str, dict, int]) -> None:
    report, output, _, code = external_run
    assert report["policy"]["name"] == "external"  # not the scenario's preset
    assert "policy external" in output
    seen = report["blackbox"]["services"]
    # The book's BFF calls products, favorites and cart once per page, inventory once
    # per product, and never retries.
    assert seen["products"]["calls_per_page"] == pytest.approx(1.0, abs=0.05)
    assert seen["inventory"]["calls_per_page"] == pytest.approx(10.0, abs=1.0)
    assert seen["inventory"]["amplification"] == pytest.approx(1.0, abs=0.1)
    # Without a breaker it keeps calling the hanging inventory, and hangs up on it at 1 s.
    assert seen["inventory"]["opens"] == 0
    assert seen["inventory"]["phases"]["outage"]["time_to_open"] is None
    assert seen["inventory"]["abandoned"] > 0
    verdicts = {v["id"]: v for v in report["slos"]}
    never = verdicts["breaker_time_to_open[inventory@outage]"]
    assert never["status"] == "fail"
    assert "calls to inventory never stopped in outage" in never["rule"]
    # A refused connection never reaches the simulator: not measurable, not a verdict.
    assert verdicts["breaker_time_to_open[cart@outage]"]["status"] == "n/a"
    assert verdicts["retry_amplification[inventory]"]["status"] == "pass"
    # Null inventory in the book's answer is degraded by the default rule.
    assert verdicts["degraded_ratio[outage]"]["status"] == "pass"
    assert report["client"]["phases"]["warm"]["degraded_ratio"] < 0.1
    assert code == 1
    assert "Traceback" not in output


def test_a_target_that_is_down_fails_in_one_line(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    run = sim_run("--scenario", str(SHORT_OUTAGE), "--target", f"http://127.0.0.1:{port}",
                  "--target-wait", "1s", *ALL_FREE, "--out", str(tmp_path / "run"),
                  cwd=tmp_path)
    stdout, stderr = run.communicate(timeout=60)
    assert run.returncode == 2, stdout + stderr
    assert f"--target: http://127.0.0.1:{port} did not accept connections within 1 s" \
        in stderr
    assert "Traceback" not in stderr


def test_a_target_that_never_calls_the_simulator_is_a_setup_error(tmp_path: Path) -> None:
    port, nowhere = free_port(), f"http://127.0.0.1:{free_port()}"
    run = sim_run("--scenario", str(SHORT_OUTAGE), "--duration", "4s", "--target",
                  f"http://127.0.0.1:{port}", *ALL_FREE, "--out", str(tmp_path / "run"),
                  cwd=tmp_path)
    with run, book_bff(port, dict.fromkeys(SERVICES, nowhere)):  # wired to nothing
        stdout, stderr = run.communicate(timeout=60)
    assert run.returncode == 2, stdout + stderr
    assert "the target made 0 calls to products, inventory, favorites, cart" in stdout
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["passed"] is False
    assert any(p.startswith("every page request to the target failed (500")
               for p in report["problems"])


def test_the_inference_agrees_with_our_bffs_own_telemetry(outage_run: OutageRun) -> None:
    """Our BFF, whose breaker opens on the hanging inventory: what the simulator saw of
    its calls must tell the same story as the breaker's own timeline. The run is the
    session's shared short-outage run (tests/conftest.py)."""
    run, stdout, stderr = outage_run, outage_run.stdout, outage_run.stderr
    # Its latency SLOs are not the point here (a loaded machine may breach them).
    assert run.returncode in (0, 1), stdout[-3000:] + stderr[-2000:]
    report = json.loads((run.out / "report.json").read_text())
    assert report["complete"], report["problems"]
    seen = report["blackbox"]["services"]["inventory"]
    own = report["scoring"]["inventory"]
    inferred, measured = seen["phases"]["outage"], own["phases"]["outage"]
    assert measured["time_to_open"] is not None  # the scenario did open the breaker
    assert inferred["time_to_open"] == pytest.approx(measured["time_to_open"], abs=0.5)
    # Episodes of an open breaker: a failed half-open probe re-opens it, but from the
    # outside that is one long stretch without calls. A closed stretch shorter than the
    # inference's two 0.25 s bins is invisible too: on a loaded machine (load 8) the BFF
    # closed at 8.34 s and re-opened at 8.61 s; compare closes only without such flaps.
    moves = [m for m in report["breaker_timeline"] if m["downstream"] == "inventory"]
    flaps = any(a["to"] == "closed" and b["to"] == "open" and b["t"] - a["t"] < 1.0
                for a, b in itertools.pairwise(moves))
    if not flaps:
        episodes = [m for m in moves if (m["from"], m["to"]) == ("closed", "open")]
        assert seen["opens"] == len(episodes)
        assert inferred["time_to_close"] == pytest.approx(measured["time_to_close"], abs=0.5)
    amplification = report["downstreams"]["inventory"]["amplification"]
    assert seen["amplification"] == pytest.approx(amplification, abs=0.05)
    # The simulator sees only the hang-ups that reached it while it was still working: the
    # BFF also counts attempts cancelled before they were sent, or timed out while the
    # answer sat in a busy client (measured: 139 of 182 idle, 3 of 96 at load 11).
    given_up = report["downstreams"]["inventory"]["abandoned"]
    assert 0 < seen["abandoned"] <= given_up + 5
    assert "seen from the simulator" in stdout
    assert "to open (BFF)" in stdout


def test_smoke_against_an_external_bff_keeps_its_ports_and_says_what_failed(
        tmp_path: Path) -> None:
    ports_file, port, out = tmp_path / "ports.json", free_port(), tmp_path / "smoke"
    with subprocess.Popen([SIM, "smoke", "--duration", "3s", "--target",
                           f"http://127.0.0.1:{port}", "--ports-file", str(ports_file),
                           *ALL_FREE[:-2], "--out", str(out)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=tmp_path, env={**os.environ, "COLUMNS": "200",
                                             "NO_COLOR": "1"}) as smoke:
        handed = wait_for(ports_file, smoke)
        with book_bff(port, handed["urls"]):  # configured once, for every scenario
            stdout, stderr = smoke.communicate(timeout=240)
    reports = [json.loads(path.read_text()) for path in sorted(out.glob("*/report.json"))]
    assert len(reports) >= 2
    for report in reports:  # every scenario's simulator on the ports the BFF was given
        assert {k: v for k, v in report["ports"].items() if k in SERVICES} == \
            {k: handed["ports"][k] for k in SERVICES}
        assert report["blackbox"]["services"]["products"]["calls"] > 0
    # The book's BFF has no breaker: inventory-outage fails, and says which check and why.
    assert smoke.returncode == 1, stdout[-3000:] + stderr[-2000:]
    assert "inventory-outage: FAILED" in stdout
    assert "FAIL breaker_time_to_open[inventory@outage]: calls to inventory never stopped " \
           "in outage" in stdout
    assert "(the breaker was slow to notice a downstream that never answers)" in stdout
    summary = (out / "summary.md").read_text().splitlines()
    assert summary[0].startswith("## bff-sim: ")
    rollup = summary[:summary.index("", 2)]  # the table, up to the first report
    rows = [line for line in rollup if line.startswith(("| ✅", "| ❌"))]
    assert len(rows) == len(reports)
    assert any(row.startswith("| ❌ | inventory-outage | external |") for row in rows)
