"""Soak: `sim serve` (four services + BFF, `resilient`) under 100 BFF requests/s with mixed
faults for a while; samples the process's RSS, open file descriptors and asyncio tasks from
`GET /state`, then checks that descriptors and tasks come back to their idle level once the
load stops (the BFF closes keep-alive connections idle for 15 s).

Targets: RSS <= 150 MB, <= 10% growth from minute 1 to the end (runs of at least 3
minutes; a shorter run fills the ledger's bounded event rings during its first seconds, so
its growth says nothing about leaks), descriptors and tasks back to their starting level.

Usage: .venv/bin/python benchmarks/soak.py [--seconds 600] [--rate 100] [--json] [--write]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import (
    ENV,
    ROOT,
    get_json,
    ok,
    publish,
    put_fault,
    sim_urls,
    start_sim,
    stop,
)

MIXED_FAULTS: dict[str, list[dict[str, Any]]] = {
    "products": [{"type": "latency", "dist": "uniform", "min": "5ms", "max": "30ms"},
                 {"type": "hang", "probability": 0.01}],
    "inventory": [{"type": "latency", "dist": "lognormal", "median": "15ms", "sigma": 0.6},
                  {"type": "malformed", "probability": 0.01}],
    "favorites": [{"type": "reset", "probability": 0.03}],
    "cart": [{"type": "error", "rate": 0.05, "status": 503}],
}
MIN_SECONDS_FOR_GROWTH = 180
SETTLE_SECONDS = 40


def sample(admin: str, started: float) -> dict[str, float]:
    process = get_json(f"{admin}/state")["process"]
    return {"t": round(time.monotonic() - started, 1), "rss_mb": process["rss_bytes"] / 2**20,
            "fds": process["open_fds"], "tasks": process["asyncio_tasks"]}


def soak(seconds: float, rate: float, interval: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready.json"
        server = start_sim(ready)
        load: subprocess.Popen[str] | None = None  # stopped too if a sample fails
        try:
            urls = sim_urls(ready)
            admin = urls["admin"]
            for service, faults in MIXED_FAULTS.items():
                put_fault(admin, service, faults)
            started = time.monotonic()
            idle = sample(admin, started)
            load = subprocess.Popen(
                [sys.executable, str(ROOT / "benchmarks" / "rate_client.py"),
                 f"{urls['bff']}/products/all", "--rate", str(rate), "--seconds", str(seconds)],
                stdout=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
            samples = []
            while load.poll() is None:
                time.sleep(min(interval, max(0.1, seconds / 10)))
                samples.append(sample(admin, started))
            client = json.loads(load.communicate()[0])
            settled = sample(admin, started)
            deadline = time.monotonic() + SETTLE_SECONDS
            while ((settled["fds"] > idle["fds"] or settled["tasks"] > idle["tasks"])
                   and time.monotonic() < deadline):
                time.sleep(0.5)
                settled = sample(admin, started)
            alive = server.poll() is None
        finally:
            stop(*([load] if load is not None else []), server)
    at_minute_1 = next((s for s in samples if s["t"] >= 60), samples[0])
    end = samples[-1]
    return {"seconds": seconds, "rate": rate, "client": client, "idle": idle,
            "samples": samples, "at_minute_1": at_minute_1, "end": end, "settled": settled,
            "settle_seconds": round(settled["t"] - end["t"], 1), "server_alive": alive,
            "max_rss_mb": max(s["rss_mb"] for s in samples),
            "growth": end["rss_mb"] / at_minute_1["rss_mb"] - 1}


def table(result: dict[str, Any]) -> tuple[list[tuple[str, ...]], str]:
    idle, settled, client = result["idle"], result["settled"], result["client"]
    long_enough = result["seconds"] >= MIN_SECONDS_FOR_GROWTH
    growth_note = (f"target <= 10%: {ok(result['growth'] <= 0.10)}" if long_enough
                   else f"not judged: run shorter than {MIN_SECONDS_FOR_GROWTH} s")
    statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(client["statuses"].items()))
    rows = [
        ("requests sent", f"{client['count']:,}",
         f"{result['rate']:g}/s open-loop for {result['seconds']:g} s; {statuses} "
         f"({client['degraded']:,} of the 200s degraded by a fallback); "
         f"p50 {client['p50_ms']:.0f} ms, p99 {client['p99_ms']:.0f} ms"),
        ("RSS at minute 1 / end / max", f"{result['at_minute_1']['rss_mb']:.0f} / "
         f"{result['end']['rss_mb']:.0f} / {result['max_rss_mb']:.0f} MB",
         f"target <= 150 MB: {ok(result['max_rss_mb'] <= 150)}"),
        ("RSS growth, minute 1 to end", f"{result['growth']:+.1%}", growth_note),
        ("open fds idle / under load / after", f"{idle['fds']} / {result['end']['fds']} / "
         f"{settled['fds']}", f"back to idle: {ok(settled['fds'] <= idle['fds'])} "
         f"({result['settle_seconds']:g} s after the load)"),
        ("asyncio tasks idle / under load / after", f"{idle['tasks']} / "
         f"{result['end']['tasks']} / {settled['tasks']}",
         f"back to idle: {ok(settled['tasks'] <= idle['tasks'])}"),
    ]
    faults = "; ".join(f"{s}: " + ", ".join(f["type"] for f in fs)
                       for s, fs in MIXED_FAULTS.items())
    return rows, f"mixed faults ({faults})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args()
    result = soak(options.seconds, options.rate, options.interval)
    if options.json:
        print(json.dumps(result))
        return
    publish("soak", *table(result), options.write)


if __name__ == "__main__":
    main()
