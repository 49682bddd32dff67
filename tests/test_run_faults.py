"""The harness's own faults: locust dying mid-run, an output directory that is not
writable, a scenario that does not exist. Each says so; none leaves a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.cli_helpers import SIM
from tests.test_cli_run import SHORT_OUTAGE, locust_processes


def test_locust_killed_mid_run_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with subprocess.Popen([SIM, "run", "--scenario", str(SHORT_OUTAGE), "--out", str(out)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=tmp_path, env={**os.environ, "COLUMNS": "200"}) as process:
        deadline = time.monotonic() + 30
        while not locust_processes(str(out)):
            assert time.monotonic() < deadline, "locust never started"
            time.sleep(0.2)
        time.sleep(2.0)
        for line in locust_processes(str(out)):
            os.kill(int(line.split()[0]), signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stdout[-2000:] + stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert report["complete"] is False
    assert report["passed"] is False
    assert any("locust" in problem for problem in report["problems"]), report["problems"]
    assert "Traceback" not in stderr


def test_unwritable_output_directory_is_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    result = subprocess.run([SIM, "run", "--scenario", str(SHORT_OUTAGE), "--out",
                             str(blocked / "run")], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 2
    assert "--out:" in result.stderr
    assert "not a writable directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_scenario_lists_the_builtins(tmp_path: Path) -> None:
    result = subprocess.run([SIM, "run", "--scenario", "no-such-thing"], capture_output=True,
                            text=True, timeout=60, check=False, cwd=tmp_path)
    assert result.returncode == 2
    assert "slow-inventory" in result.stderr
    assert "Traceback" not in result.stderr
