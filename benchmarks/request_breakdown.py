"""Where one BFF request's time goes on an idle `sim serve`: sequential requests, the
median total as the client sees it, and the slowest call of each stage from the BFF's
Server-Timing header; with no fault, then with a fixed 20 ms on every service.

Usage: .venv/bin/python benchmarks/request_breakdown.py [--requests 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from harness import put_fault, sim_urls, start_sim, stop

from sim import SERVICES


def one(url: str) -> tuple[float, float, float]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        timing = response.headers["Server-Timing"]
    total = (time.perf_counter() - started) * 1000
    durations = {part.split(";")[0].strip(): float(part.split("dur=")[1].split(";")[0])
                 for part in timing.split(",")}
    catalogue = max(durations[name] for name in ("products", "favorites", "cart"))
    inventory = max(v for name, v in durations.items() if name.startswith("inventory"))
    return total, catalogue, inventory


def medians(url: str, requests: int) -> str:
    for _ in range(5):
        one(url)  # warm the connection pools
    samples = [one(url) for _ in range(requests)]
    total, catalogue, inventory = (statistics.median(s[i] for s in samples) for i in range(3))
    return (f"total {total:.1f} ms, catalogue stage {catalogue:.1f} ms, "
            f"inventory stage {inventory:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_sim(Path(tmp) / "ready.json")
        try:
            urls = sim_urls(Path(tmp) / "ready.json")
            url = f"{urls['bff']}/products/all"
            print("no fault:          ", medians(url, options.requests))
            for service in SERVICES:
                put_fault(urls["admin"], service, [{"type": "latency", "delay": "20ms"}])
            print("20 ms per service: ", medians(url, options.requests))
        finally:
            stop(server)


if __name__ == "__main__":
    main()
