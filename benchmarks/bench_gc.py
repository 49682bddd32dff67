"""Garbage-collector pauses in `sim serve`, Python's default thresholds against the
serving tuning in sim/aio.py (`gc.freeze()` at start, thresholds (50,000, 20, 10)), in
one run: each variant gets 20 ms on every service and 100 BFF requests/s open-loop, and
the collector's pauses are timed through `gc.callbacks` inside the server.

Usage: .venv/bin/python benchmarks/bench_gc.py [--seconds 15] [--write]
       (internally also: bench_gc.py --serve STATS_FILE [--default-gc] -- <sim serve args>)
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    ENV,
    ROOT,
    SIM,
    ok,
    publish,
    put_fault,
    run_client,
    sim_urls,
    stop,
)

from sim import SERVICES


def serve_with_gc_timing(stats_file: Path, default_gc: bool, serve_args: list[str]) -> None:
    pauses: list[tuple[int, float]] = []
    started: list[float] = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], time.perf_counter() - started[0]))

    gc.callbacks.append(on_gc)
    atexit.register(lambda: stats_file.write_text(json.dumps(pauses)))
    import sim.aio

    if default_gc:
        sim.aio.tune_gc = lambda: None  # Python's own thresholds, nothing frozen
    import cli

    sys.argv = [SIM, "serve", *serve_args]
    cli.app()


def measure(tmp: Path, default_gc: bool, seconds: float) -> dict[str, float]:
    ready, stats = tmp / "ready.json", tmp / "gc.json"
    ready.unlink(missing_ok=True)
    args = [sys.executable, __file__, "--serve", str(stats)] + (
        ["--default-gc"] if default_gc else []) + ["--", "--ready-file", str(ready)]
    for name in ("products", "inventory", "favorites", "cart", "admin", "bff"):
        args += [f"--{name}-port", "0"]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    try:
        while not ready.exists() or not ready.read_text():
            time.sleep(0.01)
        urls = sim_urls(ready)
        for service in SERVICES:
            put_fault(urls["admin"], service, [{"type": "latency", "delay": "20ms"}])
        load = run_client("rate_client.py", f"{urls['bff']}/products/all", "--rate", "100",
                          "--seconds", str(seconds))
    finally:
        stop(server)
    pauses = json.loads(stats.read_text())
    return {"p99": load["p99_ms"], "degraded": load["degraded"] / max(1, load["count"]),
            "gc_ms": sum(p for _, p in pauses) * 1000,
            "max_pause_ms": max((p for _, p in pauses), default=0.0) * 1000,
            "collections": len(pauses)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--default-gc", action="store_true", help=argparse.SUPPRESS)
    options, rest = parser.parse_known_args()
    if options.serve:
        serve_with_gc_timing(options.serve, options.default_gc, rest[1:] if rest[:1] == ["--"]
                             else rest)
        return
    with tempfile.TemporaryDirectory() as tmp:
        default = measure(Path(tmp), True, options.seconds)
        tuned = measure(Path(tmp), False, options.seconds)
    rows = [(name, f"{r['p99']:.0f} ms", f"{r['degraded']:.0%}",
             f"{r['collections']:,} / {r['gc_ms']:.0f} ms / {r['max_pause_ms']:.1f} ms")
            for name, r in (("Python default (700, 10, 10)", default),
                            ("serving tuning (freeze, 50,000, 20, 10)", tuned))]
    rows.append(("p99 lower with the tuning", ok(tuned["p99"] < default["p99"]), "", ""))
    publish("gc", rows, f"20 ms on every service, 100 BFF req/s open-loop for "
                        f"{options.seconds:g} s each", options.write,
            ("collector", "p99", "degraded answers", "collections / GC time / longest pause"))


if __name__ == "__main__":
    main()
