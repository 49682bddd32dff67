"""Closed-loop load with N concurrent users whose starts are spread over one think cycle,
so they do not move in lock-step; prints latency percentiles as JSON.

Usage: python benchmarks/latency_client.py URL --concurrency 100 --seconds 6 --spread 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time

import aiohttp

from sim import aio


async def user(session: aiohttp.ClientSession, url: str, delay: float, until: float,
               samples: list[float]) -> None:
    await asyncio.sleep(delay)
    while time.monotonic() < until:
        started = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
        samples.append(time.perf_counter() - started)


async def main(url: str, concurrency: int, seconds: float, spread: float) -> dict[str, float]:
    samples: list[float] = []
    rng = random.Random(1)
    until = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(user(session, url, rng.uniform(0, spread), until, samples)
                               for _ in range(concurrency)))
    samples.sort()
    warm = samples[len(samples) // 10:] or samples  # drop the first tenth: connection setup
    warm.sort()
    return {"count": len(samples), "p50_ms": warm[len(warm) // 2] * 1000,
            "p99_ms": warm[int(len(warm) * 0.99)] * 1000, "max_ms": warm[-1] * 1000}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--spread", type=float, default=0.2)
    options = parser.parse_args()
    print(json.dumps(aio.run(main(options.url, options.concurrency, options.seconds,
                                  options.spread))))
