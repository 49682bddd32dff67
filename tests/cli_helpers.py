"""Running the real `sim` console script as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SIM = str(Path(sys.executable).parent / "sim")
ALL_FREE = ["--products-port", "0", "--inventory-port", "0", "--favorites-port", "0",
            "--cart-port", "0", "--admin-port", "0", "--bff-port", "0"]


def run_sim(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`sim <args>` in a directory of its own: whatever it leaves (results/, .sim/) never
    meets another test's, even with tests running in parallel."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    with tempfile.TemporaryDirectory(prefix="sim-cwd-") as cwd:
        return subprocess.run([SIM, *args], capture_output=True, text=True, timeout=timeout,
                              env=env, check=False, cwd=cwd)


@contextmanager
def running_sim(args: Sequence[str], ready_file: Path, timeout: float = 20,
                stale: str = "") -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """Start `sim <args> --ready-file F` in F's directory, wait for F (other than `stale`,
    what it held before), yield (process, urls); always reaped."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    with subprocess.Popen([SIM, *args, "--ready-file", str(ready_file)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env, cwd=ready_file.parent) as process:
        yield from _until_ready(process, ready_file, timeout, stale)


def _until_ready(process: subprocess.Popen[str], ready_file: Path, timeout: float,
                 stale: str = "") -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    try:
        deadline = time.monotonic() + timeout
        while not ready_file.exists() or ready_file.read_text() in ("", stale):
            if process.poll() is not None or time.monotonic() > deadline:
                out, err = process.communicate(timeout=5)
                raise AssertionError(f"sim did not become ready:\n{out}\n{err}")
            time.sleep(0.05)
        yield process, json.loads(ready_file.read_text())["urls"]
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


@dataclass(frozen=True)
class OutageRun:
    """One finished `sim run --scenario S --out run` in `workdir`."""

    workdir: Path  # its .sim/history.db stays in here
    returncode: int
    stdout: str
    stderr: str

    @property
    def out(self) -> Path:
        return self.workdir / "run"


def run_outage(scenario: Path, workdir: Path) -> OutageRun:
    result = subprocess.run([SIM, "run", "--scenario", str(scenario), "--out", "run"],
                            cwd=workdir, capture_output=True, text=True, timeout=50,
                            env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}, check=False)
    return OutageRun(workdir, result.returncode, result.stdout, result.stderr)
