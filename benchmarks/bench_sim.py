"""Simulator benchmarks, measured in one run on this machine (see docs/performance.md).

1. The inventory service with no faults, side by side: this simulator (services on a raw
   asyncio.Protocol + httptools server, answering from memory), the simulator as it was
   with aiohttp apps and SQLite reads (commit OLD_REF, extracted with `git archive`), a
   bare asyncio.Protocol + httptools handler and a bare aiohttp handler. Requests per
   second and the server process's CPU per request. Target: at least 0.7 of the bare
   handler of its own stack. Load from wrk (C, one thread) so that the client is not the
   bottleneck; rounds alternate between the servers and the median is kept.
2. Fidelity of injected latency: fixed 200 ms at 100 concurrent requests; observed p50
   within 2 ms and p99 within 10 ms of 200 ms. Measured by benchmarks/latency_client.py in
   its own process, its 100 users' starts spread over 200 ms: with wrk all connections
   fire together and stay in lock-step, so the p50 measures the queue of a 100-request
   burst rather than the injected delay.

Usage: .venv/bin/python benchmarks/bench_sim.py [--seconds 5] [--rounds 3] [--old-ref REF]
       [--write]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from harness import (
    OLD_REF,
    ok,
    old_sim_command,
    publish,
    put_fault,
    run_client,
    sim_urls,
    start_script,
    start_sim,
    stop,
    wrk,
    wrk_with_cpu,
)

ROUTE = "/products/1/inventory"


def measure(servers: dict[str, tuple[str, int]], seconds: float,
            rounds: int) -> dict[str, dict[str, float]]:
    """Median req/s and CPU per request of each server, rounds alternating between them."""
    for url, _ in servers.values():
        wrk(url, 1, 32)  # warm up
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, (url, pid) in servers.items():
            samples[name].append(wrk_with_cpu(url, seconds, 32, pid))
    return {name: {key: statistics.median(s[key] for s in runs)
                   for key in ("rps", "cpu_per_request_us")}
            for name, runs in samples.items()}


def latency_fidelity(urls: dict[str, str], seconds: float) -> dict[str, float]:
    """p50/p99 of a fixed 200 ms latency at 100 concurrent requests, client-side."""
    put_fault(urls["admin"], "inventory", [{"type": "latency", "delay": "200ms"}])
    return run_client("latency_client.py", f"{urls['inventory']}{ROUTE}",
                      "--seconds", str(max(seconds, 6)), "--concurrency", "100",
                      "--spread", "0.2")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--old-ref", default=OLD_REF, help="commit of the old simulator")
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for this benchmark: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        old_command = old_sim_command(options.old_ref, Path(tmp) / "old")
        sim = start_sim(Path(tmp) / "ready.json", bff=False)
        old = start_sim(Path(tmp) / "old-ready.json", bff=False, command=old_command)
        urls = sim_urls(Path(tmp) / "ready.json")
        old_urls = sim_urls(Path(tmp) / "old-ready.json")
        bare_protocol, protocol_port = start_script("bare_server.py", "protocol")
        bare_aiohttp, aiohttp_port = start_script("bare_server.py", "aiohttp")
        try:
            results = measure({
                "new": (f"{urls['inventory']}{ROUTE}", sim.pid),
                "old": (f"{old_urls['inventory']}{ROUTE}", old.pid),
                "protocol": (f"http://127.0.0.1:{protocol_port}{ROUTE}", bare_protocol.pid),
                "aiohttp": (f"http://127.0.0.1:{aiohttp_port}{ROUTE}", bare_aiohttp.pid),
            }, options.seconds, options.rounds)
            fidelity = {name: latency_fidelity(sim_urls, options.seconds)
                        for name, sim_urls in (("new", urls), ("old", old_urls))}
        finally:
            stop(sim, old, bare_protocol, bare_aiohttp)
    rows = table(results, fidelity, options.old_ref)
    details = f"wrk -t1 -c32, {options.rounds} rounds x {options.seconds:g} s"
    publish("sim", rows, details, options.write, ("measure", "value", "target"))


def table(results: dict[str, dict[str, float]], fidelity: dict[str, dict[str, float]],
          old_ref: str) -> list[tuple[str, ...]]:
    names = {"new": "simulator, raw protocol + memory (this tree)",
             "old": f"simulator, aiohttp + SQLite ({old_ref})",
             "protocol": "bare asyncio.Protocol + httptools handler",
             "aiohttp": "bare aiohttp handler"}
    rows: list[tuple[str, ...]] = [
        (f"{name}: req/s; CPU per request",
         f"{results[key]['rps']:,.0f}; {results[key]['cpu_per_request_us']:.0f} us", "")
        for key, name in names.items()]
    new, old = results["new"], results["old"]
    to_aiohttp = new["rps"] / results["aiohttp"]["rps"]
    to_protocol = new["rps"] / results["protocol"]["rps"]
    rows += [
        ("new / old: req/s", f"{new['rps'] / old['rps']:.2f}x", ""),
        ("new / old: CPU per request",
         f"{new['cpu_per_request_us'] / old['cpu_per_request_us']:.2f}x", ""),
        ("simulator / bare aiohttp handler (req/s)", f"{to_aiohttp:.2f}",
         "target >= 0.70: " + ok(to_aiohttp >= 0.7)),
        ("simulator / bare asyncio.Protocol handler (req/s)", f"{to_protocol:.2f}",
         "the floor of its stack: faults, metrics and limits cost the difference"),
    ]
    for key, label in (("new", "new"), ("old", "old")):
        p50, p99 = fidelity[key].get("p50_ms", 0), fidelity[key].get("p99_ms", 0)
        rows += [
            (f"fixed 200 ms @ 100 conns, {label}: p50 (ms)", f"{p50:.1f}",
             "target 200 +- 2: " + ok(abs(p50 - 200) <= 2)),
            (f"fixed 200 ms @ 100 conns, {label}: p99 (ms)", f"{p99:.1f}",
             "target 200 +- 10: " + ok(abs(p99 - 200) <= 10)),
        ]
    return rows


if __name__ == "__main__":
    main()
