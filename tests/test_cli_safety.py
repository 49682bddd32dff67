"""Nothing lost: run directories of their own, baselines checked before the load, a signal
at any moment honoured with an interrupted report, report files written as one set, and
no locust left behind when `sim` is killed. Real `sim` processes and real signals."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reports.history import record_run
from tests.cli_helpers import SIM
from tests.procs import locust_group, wait_gone

FIXTURES = Path(__file__).parent / "scenarios_fixtures"
SHORT_OUTAGE = str(FIXTURES / "short-outage.toml")
# 4 s with no SLO a loaded machine can breach: the runs that must pass do (a 4 s cut of
# short-outage left 1.3 s of outage for a 2 s breaker SLO and failed under parallel load).
QUICK = ["--scenario", str(FIXTURES / "quick-outage.toml")]
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}

# The tests of one module-scoped run share a worker (--dist loadgroup): one run, not one per worker.
ONE_RUN = pytest.mark.xdist_group("finished_run")


def sim(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SIM, *args], capture_output=True, text=True, timeout=timeout,
                          check=False, cwd=cwd, env=ENV)


def start(*args: str, cwd: Path, umask: int | None = None) -> subprocess.Popen[str]:
    def preexec() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.Popen([SIM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=cwd, env=ENV, preexec_fn=preexec)


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One complete real run, made under umask 077, recorded in <root>/.sim/history.db."""
    root = tmp_path_factory.mktemp("safety")
    with start("run", *QUICK, "--out", "run", cwd=root, umask=0o077) as process:
        stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stdout[-2000:] + stderr[-2000:]
    return root / "run"


# 9: a directory of its own

def test_two_runs_in_the_same_second_get_their_own_directories(tmp_path: Path) -> None:
    from scenarios.outdir import default_out

    first = default_out("short-outage", "resilient", tmp_path)
    second = default_out("short-outage", "resilient", tmp_path)
    assert first != second
    assert first.is_dir() and second.is_dir()
    assert second.name.startswith(first.name)  # the same readable name, with a suffix


@ONE_RUN
def test_rerunning_into_an_existing_out_is_refused(finished_run: Path) -> None:
    before = (finished_run / "report.json").read_bytes()
    result = sim("run", *QUICK, "--out", "run", cwd=finished_run.parent)
    assert result.returncode == 2, result.stdout[-2000:]
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--out" in result.stderr and "--force" in result.stderr
    assert (finished_run / "report.json").read_bytes() == before  # the old run is intact


@ONE_RUN
def test_force_replaces_a_run_and_history_stops_pointing_at_the_old_one(
        finished_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    old = json.loads((copy / "report.json").read_text())
    # The history knows the copy as a passing run; --force then replaces it.
    from sim import aio

    aio.run(record_run(tmp_path / ".sim" / "history.db", old, str(copy / "report.json")))
    time.sleep(1.1)  # a new started_at (second resolution)
    replaced = sim("run", *QUICK, "--seed", "9", "--out", "run", "--force", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stdout[-2000:] + replaced.stderr[-2000:]
    new = json.loads((copy / "report.json").read_text())
    assert new["seed"] == 9 and old["seed"] != 9
    assert (copy / "manifest.json").exists()


@ONE_RUN
def test_last_pass_never_points_at_a_replaced_run(finished_run: Path, tmp_path: Path) -> None:
    from reports.history import last_pass
    from reports.outputs import write_outputs
    from sim import aio

    copy, db = tmp_path / "run", tmp_path / "history.db"
    shutil.copytree(finished_run, copy)
    report = json.loads((copy / "report.json").read_text())
    aio.run(record_run(db, report, str(copy / "report.json")))
    assert aio.run(last_pass(db, "quick-outage", "resilient")) == copy / "report.json"
    replaced = {**report, "environment": {**report["environment"],
                                          "started_at": "2030-01-01T00:00:00Z"}}
    write_outputs(copy, replaced)  # another run's files in the same place
    assert aio.run(last_pass(db, "quick-outage", "resilient")) is None


def test_a_second_smoke_refuses_the_directory_the_first_writes_in(tmp_path: Path) -> None:
    with start("smoke", "--duration", "4s", cwd=tmp_path) as first:
        try:
            deadline = time.monotonic() + 60
            while not list((tmp_path / "results" / "smoke").glob("*/load-spec.json")):
                assert first.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
            second = sim("smoke", "--duration", "4s", cwd=tmp_path, timeout=30)
            assert second.returncode == 2, second.stdout[-2000:]
            assert "in use by another sim (pid " f"{first.pid})" in second.stderr
            assert len(second.stderr.strip().splitlines()) == 1
        finally:
            first.send_signal(signal.SIGINT)
            first.communicate(timeout=60)


# 10: the baseline is checked before the load starts

@pytest.mark.parametrize("baseline", ["typo.json", "malformed.json"])
def test_a_bad_baseline_fails_before_the_load(tmp_path: Path, baseline: str) -> None:
    (tmp_path / "malformed.json").write_text(json.dumps({"schema": "bff-sim/report"}))
    started = time.monotonic()
    result = sim("run", *QUICK, "--baseline", baseline, "--out", "run", cwd=tmp_path)
    assert result.returncode == 2, result.stdout[-2000:]
    assert result.stderr.startswith("error: --baseline:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "locust_stats.csv").exists()  # no load was spent
    assert time.monotonic() - started < 30


@ONE_RUN
def test_a_last_pass_whose_report_is_gone_still_leaves_this_runs_report(
        finished_run: Path, tmp_path: Path) -> None:
    from sim import aio

    report = json.loads((finished_run / "report.json").read_text())
    aio.run(record_run(tmp_path / ".sim" / "history.db", report,
                       str(tmp_path / "deleted" / "report.json")))
    result = sim("run", *QUICK, "--baseline", "last-pass", "--out", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    written = json.loads((tmp_path / "run" / "report.json").read_text())
    assert "no passing run" in written["baseline"]["notes"][0]


# 11: signals at any moment, and the report files as one set

@ONE_RUN
def test_report_files_are_one_finished_set_readable_by_all(finished_run: Path) -> None:
    from reports.files import finished_set

    names = ("report.json", "report.md", "report.html", "junit.xml")
    for name in names:
        assert stat.S_IMODE((finished_run / name).stat().st_mode) == 0o644, name
    manifest = json.loads((finished_run / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["interrupted"] is False
    for name in names:
        data = (finished_run / name).read_bytes()
        assert manifest["files"][name]["sha256"] == hashlib.sha256(data).hexdigest()
    assert not list(finished_run.glob(".*.tmp"))
    assert finished_set(finished_run)


@ONE_RUN
def test_a_set_cut_short_is_not_a_finished_set(finished_run: Path, tmp_path: Path) -> None:
    from reports.files import finished_set

    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    with (copy / "report.html").open("r+b") as html:
        html.truncate(100)  # as a kill while it was written would leave it
    assert not finished_set(copy)
    (copy / "manifest.json").unlink()
    assert not finished_set(finished_run.parent)  # no manifest: no finished set


def interrupted_report(out: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    assert report["interrupted"] is True and report["complete"] is False
    assert report["passed"] is False
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["interrupted"] is True
    return report


def signal_when_locust_exits(process: subprocess.Popen[str], signum: int) -> None:
    """The moment the issue found unguarded: the load is over (locust has exited) and
    sim is tearing down and building the report."""
    locust = locust_group(process.pid)
    assert wait_gone(locust, timeout=60) == []
    process.send_signal(signum)


def test_ctrl_c_just_after_the_load_stops_the_next_policy(tmp_path: Path) -> None:
    with start("run", *QUICK, "--policy", "naive,resilient", "--out", "cmp",
               cwd=tmp_path) as process:
        signal_when_locust_exits(process, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stdout[-2000:] + stderr[-2000:]
    report = interrupted_report(tmp_path / "cmp" / "naive")
    assert report["client"]["overall"]["requests"] > 0  # what ran is kept
    assert not (tmp_path / "cmp" / "resilient" / "report.json").exists()
    assert "Traceback" not in stderr


def test_sigterm_while_the_report_is_made_exits_143(tmp_path: Path) -> None:
    with start("run", *QUICK, "--out", "run", cwd=tmp_path) as process:
        signal_when_locust_exits(process, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stdout[-2000:] + stderr[-2000:]
    interrupted_report(tmp_path / "run")


def test_sigterm_before_the_load_starts_still_leaves_an_interrupted_report(
        tmp_path: Path) -> None:
    with start("run", *QUICK, "--out", "run", cwd=tmp_path) as process:
        wait_for(tmp_path / "run", process)  # sim has started; locust has not
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stdout[-2000:] + stderr[-2000:]
    interrupted_report(tmp_path / "run")


# 12: locust dies with sim

@pytest.fixture
def killed() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.communicate()


def test_kill_9_of_sim_run_takes_locust_and_its_workers_with_it(
        tmp_path: Path, killed: list[subprocess.Popen[str]]) -> None:
    process = start("run", "--scenario", SHORT_OUTAGE, "--processes", "1", "--out", "run",
                    cwd=tmp_path)
    killed.append(process)
    locust = locust_group(process.pid, members=2)  # the master and its worker
    process.kill()
    assert wait_gone(locust, timeout=5) == []


def test_kill_9_of_sim_ui_takes_locust_with_it(
        tmp_path: Path, killed: list[subprocess.Popen[str]]) -> None:
    process = start("ui", "--scenario", "inventory-outage", "--free-ports", "--web-port",
                    "0", "--ready-file", str(tmp_path / "ready.json"), cwd=tmp_path)
    killed.append(process)
    wait_for(tmp_path / "ready.json", process)
    locust = locust_group(process.pid)
    process.kill()
    assert wait_gone(locust, timeout=5) == []
