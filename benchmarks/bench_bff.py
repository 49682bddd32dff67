"""BFF throughput against a reference aggregator written the book's way, in one run.

Both BFFs run in their own process against the same simulator process (no faults, 10
products); wrk drives each in turn (rounds alternate, medians kept). Target: this BFF at
least 2.5x the reference's requests/s at equal or better p99.

Usage: .venv/bin/python benchmarks/bench_bff.py [--seconds 5] [--rounds 3] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_sim import ROOT, markdown_table, start_sim, write_section, wrk

from sim import SERVICES


def start(script: str, *args: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / script), "0", *args],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sim = start_sim(Path(tmp) / "ready.json", bff=False)
        urls = json.loads((Path(tmp) / "ready.json").read_text())["urls"]
        downstreams = [urls[s] for s in SERVICES]
        ours, our_port = start("bff_server.py", "resilient", *downstreams)
        book, book_port = start("book_bff.py", *downstreams)
        results: dict[str, list[dict[str, float]]] = {"ours": [], "book": []}
        try:
            targets = {"ours": f"http://127.0.0.1:{our_port}/products/all",
                       "book": f"http://127.0.0.1:{book_port}/products/all"}
            for url in targets.values():
                wrk(url, 1, options.connections)  # warm up
            for _ in range(options.rounds):
                for name, url in targets.items():
                    results[name].append(wrk(url, options.seconds, options.connections))
        finally:
            for process in (ours, book, sim):
                process.send_signal(signal.SIGINT)
                process.wait(timeout=10)

    def median(name: str, key: str) -> float:
        return statistics.median(r.get(key, 0.0) for r in results[name])

    ratio = median("ours", "rps") / median("book", "rps")
    p99_ok = median("ours", "p99_ms") <= median("book", "p99_ms")
    rows = [
        ("this BFF (resilient), req/s", f"{median('ours', 'rps'):,.0f}",
         f"p50 {median('ours', 'p50_ms'):.1f} ms, p99 {median('ours', 'p99_ms'):.1f} ms"),
        ("book-style aggregator, req/s", f"{median('book', 'rps'):,.0f}",
         f"p50 {median('book', 'p50_ms'):.1f} ms, p99 {median('book', 'p99_ms'):.1f} ms"),
        ("throughput ratio", f"{ratio:.2f}x",
         f"target >= 2.5x at equal or better p99: "
         f"{'met' if ratio >= 2.5 and p99_ok else 'MISSED'}"),
    ]
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python "
               f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}, wrk -t1 "
               f"-c{options.connections}, {options.rounds} rounds x {options.seconds:g} s, "
               f"10 products, no faults")
    text = markdown_table(("measure", "value", "notes"), rows, machine)
    print(text)
    if options.write:
        write_section(ROOT / "docs" / "performance.md", "bff", text)


if __name__ == "__main__":
    main()
