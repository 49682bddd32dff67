"""The CPU of the BFF's own pipeline per /products/all answer, without the network: the
real handler, policies, telemetry, ledger and answer encoding of the resilient preset,
with every downstream call answered at once from memory by a stand-in for bff.transport
(same Response objects, same bodies as the simulator's). So the number is what the BFF
adds on top of its HTTP exchanges; the end-to-end numbers are bench_bff.py's.

With --ref COMMIT, that commit's BFF is measured too (extracted with `git archive`, run
with PYTHONPATH pointing at it), processes alternating, and the ratio printed.

Usage: .venv/bin/python benchmarks/pipeline_cost.py [--requests 3000] [--rounds 5]
       [--ref COMMIT] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
PRODUCTS = json.dumps([{"product_id": i, "product_name": f"product {i}"}
                       for i in range(1, 11)]).encode()


class MemoryTransport:
    """Answers every GET at once, as the simulator would with no faults."""

    def __init__(self, response: Any) -> None:
        self.response = response

    async def get(self, origin: object, path: str, headers: Mapping[str, str] | None = None,
                  timeout: float | None = None) -> Any:  # noqa: ASYNC109
        if path.endswith("/inventory"):
            body = b'{"inventory": 42}'
        elif path == "/products":
            body = PRODUCTS
        else:
            body = b'[{"product_id": 1}, {"product_id": 2}, {"product_id": 3}]'
        return self.response(200, {"content-type": "application/json"}, body)

    async def close(self) -> None:
        pass


async def measure(requests: int, profile: bool) -> float:
    """CPU seconds per answer of this process's bff package (whichever is on sys.path)."""
    from aiohttp.test_utils import make_mocked_request

    from bff import app as bff_app
    from bff.caller import DownstreamCaller
    from bff.decoders import DECODERS
    from bff.policyset import preset
    from bff.transport.message import Response
    from sim import SERVICES
    from sim.ledger import Ledger

    loop = asyncio.get_running_loop()
    policy = preset("resilient")
    urls = {name: f"http://127.0.0.1:{8000 + i}" for i, name in enumerate(SERVICES)}
    app = bff_app.create_app(policy, urls, Ledger(loop.time))
    bff = app[bff_app.BFF]
    transport = MemoryTransport(Response)
    for index, name in enumerate(SERVICES):
        bff.callers[name] = DownstreamCaller(
            name, urls[name], policy.downstream(name), transport,  # type: ignore[arg-type]
            bff.telemetry, loop.time, DECODERS[name], random.Random(index))
    request = make_mocked_request("GET", "/products/all", app=app)
    answer = await bff_app.all_products(request)
    assert answer.status == 200 and b'"degraded": []' in answer.body  # type: ignore[operator]
    for _ in range(500):
        await bff_app.all_products(request)  # warm up
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    started = time.process_time()
    for _ in range(requests):
        await bff_app.all_products(request)
    cpu = time.process_time() - started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    return cpu / requests


def run_tree(root: Path, requests: int) -> float:
    out = subprocess.run([sys.executable, str(HERE), "--requests", str(requests), "--child"],
                         cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                         capture_output=True, text=True, check=True).stdout
    return float(out)


def compare(ref: str, requests: int, rounds: int) -> None:
    from harness import ROOT, extract_ref

    with tempfile.TemporaryDirectory() as tmp:
        old = extract_ref(ref, Path(tmp) / "ref")
        samples: dict[str, list[float]] = {"this tree": [], ref: []}
        for _ in range(rounds):
            samples["this tree"].append(run_tree(ROOT, requests))
            samples[ref].append(run_tree(old, requests))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, value in medians.items():
        print(f"{name}: {value * 1e6:,.0f} us of CPU per answer (median of {rounds}; "
              f"all: {', '.join(f'{v * 1e6:,.0f}' for v in samples[name])})")
    print(f"this tree / {ref}: {medians['this tree'] / medians[ref]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ref")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    from sim import aio

    if options.child:
        print(aio.run(measure(options.requests, False)))
    elif options.ref:
        compare(options.ref, options.requests, options.rounds)
    else:
        cpu = aio.run(measure(options.requests, options.profile))
        print(f"{cpu * 1e6:,.0f} us of CPU per answer")


if __name__ == "__main__":
    main()
