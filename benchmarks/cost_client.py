"""The CPU cost of one aiohttp client request, as the BFF makes them: one shared session,
keep-alive, N concurrent callers, the JSON body read and decoded. Prints the requests made
and this process's CPU seconds, so the caller divides one by the other.

Usage: python benchmarks/cost_client.py URL --seconds 5 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp

from sim import aio


async def caller(session: aiohttp.ClientSession, url: str, until: float,
                 counts: list[int]) -> None:
    while time.monotonic() < until:
        async with session.get(url) as response:
            json.loads(await response.read())
        counts[0] += 1


async def main(url: str, seconds: float, concurrency: int) -> dict[str, float]:
    counts = [0]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
        await caller(session, url, time.monotonic() + 0.5, [0])  # warm: open connections
        cpu_before = time.process_time()
        await asyncio.gather(*(caller(session, url, time.monotonic() + seconds, counts)
                               for _ in range(concurrency)))
        cpu = time.process_time() - cpu_before
    return {"requests": counts[0], "cpu_s": cpu,
            "cpu_per_request_us": cpu / max(counts[0], 1) * 1e6}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    options = parser.parse_args()
    print(json.dumps(aio.run(main(options.url, options.seconds, options.concurrency))))
