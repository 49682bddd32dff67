"""Soak of the real `sim serve` process (services + BFF) at 100 BFF requests/s with mixed
faults, through benchmarks/soak.py: the harness must not crash, fail requests it should
answer, grow without bound, or leak descriptors and tasks.

Short form by default (8 s: 800 requests through every fault type); the long form is
`SIM_SOAK_SECONDS=600 make soak-test`, which also judges RSS growth from minute 1 to the
end (docs/performance.md has the numbers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("SIM_SOAK_SECONDS", "8"))
MIN_SECONDS_FOR_GROWTH = 180


@pytest.mark.timeout(SECONDS + 120)
def test_soak_keeps_memory_bounded_and_returns_descriptors_and_tasks() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--seconds", str(SECONDS),
         "--interval", str(min(10.0, SECONDS / 5)), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=SECONDS + 110,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    result = json.loads(out.stdout)
    client = result["client"]
    assert result["server_alive"]
    assert client["count"] == int(100 * SECONDS)
    # Under `resilient` every request gets an answer; none is a transport error.
    assert set(client["statuses"]) <= {"200", "500", "504"}, client["statuses"]
    # Not gated: how many 200s carry a fallback. With faults injected that share follows
    # the breakers, which follow the machine's load (10% over 10 idle minutes here, 42% in
    # 15 s next to a busy test suite); the soak gates the harness, not the policy.
    assert client["statuses"].get("200", 0) >= 0.95 * client["count"], client["statuses"]
    assert result["max_rss_mb"] <= 150, result["samples"]
    if SECONDS >= MIN_SECONDS_FOR_GROWTH:
        assert result["growth"] <= 0.10, result["samples"]
    idle, settled = result["idle"], result["settled"]
    assert settled["fds"] <= idle["fds"], (idle, settled)
    assert settled["tasks"] <= idle["tasks"], (idle, settled)
