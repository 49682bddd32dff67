"""Simulator benchmarks, measured in one run on this machine (see docs/performance.md).

1. Throughput of the inventory service with no faults against a bare aiohttp handler
   (target: at least 0.7 of it). Load from wrk (C, one thread) so the client is not the
   bottleneck; rounds alternate between the two servers and the median is kept.
2. Fidelity of injected latency: fixed 200 ms at 100 concurrent requests; observed p50
   within 2 ms and p99 within 10 ms of 200 ms. Measured by benchmarks/latency_client.py in
   its own process, its 100 users' starts spread over 200 ms: with wrk all connections
   fire together and stay in lock-step, so the p50 measures the queue of a 100-request
   burst rather than the injected delay.

Usage: .venv/bin/python benchmarks/bench_sim.py [--seconds 5] [--rounds 3] [--write]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from harness import (
    ok,
    publish,
    put_fault,
    run_client,
    sim_urls,
    start_script,
    start_sim,
    stop,
    wrk,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for this benchmark: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        sim = start_sim(Path(tmp) / "ready.json")
        urls = sim_urls(Path(tmp) / "ready.json")
        bare, bare_port = start_script("bare_server.py")
        try:
            sim_url = f"{urls['inventory']}/products/1/inventory"
            bare_url = f"http://127.0.0.1:{bare_port}/products/1/inventory"
            wrk(sim_url, 1, 32)
            wrk(bare_url, 1, 32)  # warm both
            sim_rps, bare_rps = [], []
            for _ in range(options.rounds):
                sim_rps.append(wrk(sim_url, options.seconds, 32)["rps"])
                bare_rps.append(wrk(bare_url, options.seconds, 32)["rps"])
            put_fault(urls["admin"], "inventory", [{"type": "latency", "delay": "200ms"}])
            fidelity = run_client("latency_client.py", sim_url, "--seconds",
                                  str(max(options.seconds, 6)), "--concurrency", "100",
                                  "--spread", "0.2")
        finally:
            stop(sim, bare)
    ratio = statistics.median(sim_rps) / statistics.median(bare_rps)
    rows = [
        ("inventory, no faults (req/s, median of rounds)", f"{statistics.median(sim_rps):,.0f}",
         ""),
        ("bare aiohttp handler (req/s)", f"{statistics.median(bare_rps):,.0f}", ""),
        ("ratio sim / bare", f"{ratio:.2f}", "target >= 0.70: " + ok(ratio >= 0.7)),
        ("fixed 200 ms @ 100 conns: p50 (ms)", f"{fidelity.get('p50_ms', 0):.1f}",
         "target 200 +- 2: " + ok(abs(fidelity.get("p50_ms", 0) - 200) <= 2)),
        ("fixed 200 ms @ 100 conns: p99 (ms)", f"{fidelity.get('p99_ms', 0):.1f}",
         "target 200 +- 10: " + ok(abs(fidelity.get("p99_ms", 0) - 200) <= 10)),
    ]
    details = f"wrk -t1, {options.rounds} rounds x {options.seconds:g} s"
    publish("sim", rows, details, options.write, ("measure", "value", "target"))


if __name__ == "__main__":
    main()
