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
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIM = str(Path(sys.executable).parent / "sim")


def start_sim(ready: Path, bff: bool = True) -> subprocess.Popen[str]:
    args = [SIM, "serve", "--ready-file", str(ready)] + ([] if bff else ["--no-bff"])
    for name in ("products", "inventory", "favorites", "cart", "admin", "bff"):
        args += [f"--{name}-port", "0"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, text=True)
    while not ready.exists() or not ready.read_text():
        time.sleep(0.05)
    return process


def start_bare() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "bare_server.py")],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def wrk(url: str, seconds: float, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    result = {"rps": rps}
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if match:
            scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[match.group(2)]
            result[f"p{pct}_ms"] = float(match.group(1)) * scale
    return result


def latency_client(url: str, seconds: float, concurrency: int, spread: float) -> dict[str, float]:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "latency_client.py"), url,
                          "--seconds", str(seconds), "--concurrency", str(concurrency),
                          "--spread", str(spread)], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    result: dict[str, float] = json.loads(out.stdout)
    return result


def put_fault(admin: str, service: str, faults: list[dict[str, str]]) -> None:
    request = urllib.request.Request(f"{admin}/faults/{service}", method="PUT",
                                     data=json.dumps(faults).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


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
        urls = json.loads((Path(tmp) / "ready.json").read_text())["urls"]
        bare, bare_port = start_bare()
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
            fidelity = latency_client(sim_url, max(options.seconds, 6), 100, spread=0.2)
        finally:
            for process in (sim, bare):
                process.send_signal(signal.SIGINT)
                process.wait(timeout=10)
    ratio = statistics.median(sim_rps) / statistics.median(bare_rps)
    rows = [
        ("inventory, no faults (req/s, median of rounds)", f"{statistics.median(sim_rps):,.0f}",
         ""),
        ("bare aiohttp handler (req/s)", f"{statistics.median(bare_rps):,.0f}", ""),
        ("ratio sim / bare", f"{ratio:.2f}", "target >= 0.70: " + _ok(ratio >= 0.7)),
        ("fixed 200 ms @ 100 conns: p50 (ms)", f"{fidelity.get('p50_ms', 0):.1f}",
         "target 200 +- 2: " + _ok(abs(fidelity.get("p50_ms", 0) - 200) <= 2)),
        ("fixed 200 ms @ 100 conns: p99 (ms)", f"{fidelity.get('p99_ms', 0):.1f}",
         "target 200 +- 10: " + _ok(abs(fidelity.get("p99_ms", 0) - 200) <= 10)),
    ]
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python "
               f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}, wrk -t1, "
               f"{options.rounds} rounds x {options.seconds:g} s")
    text = markdown_table(("measure", "value", "target"), rows, machine)
    print(text)
    if options.write:
        write_section(ROOT / "docs" / "performance.md", "sim", text)


def _ok(passed: bool) -> str:
    return "met" if passed else "MISSED"


def markdown_table(headers: tuple[str, ...], rows: list[tuple[str, ...]], machine: str) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + f"\n\nMachine: {machine}\n"


def write_section(path: Path, name: str, text: str) -> None:
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    doc = path.read_text()
    start, stop = doc.index(begin) + len(begin), doc.index(end)
    path.write_text(doc[:start] + "\n" + text + doc[stop:])


if __name__ == "__main__":
    main()
