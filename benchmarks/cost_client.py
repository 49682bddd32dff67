"""The CPU cost of one downstream client request, as the BFF makes them: one shared
client, keep-alive, N concurrent callers, the JSON body read and decoded. Measures the
BFF's own client (bff.transport) and aiohttp's ClientSession side by side, in the same
process against the same server, alternating rounds; prints one JSON object.

The top-level numbers are bff.transport's (the BFF's client, so the physical limit's);
"aiohttp" holds the ClientSession's, for comparison.

Usage: python benchmarks/cost_client.py URL --seconds 5 --concurrency 32 [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp

from bff.transport import Limits, Origin, Transport
from sim import aio

Get = Callable[[], Awaitable[object]]


async def caller(get: Get, until: float, counts: list[int]) -> None:
    while time.monotonic() < until:
        await get()
        counts[0] += 1


async def measure(get: Get, seconds: float, concurrency: int) -> dict[str, float]:
    await caller(get, time.monotonic() + 0.5, [0])  # warm: open a connection
    counts = [0]
    cpu_before = time.process_time()
    await asyncio.gather(*(caller(get, time.monotonic() + seconds, counts)
                           for _ in range(concurrency)))
    cpu = time.process_time() - cpu_before
    return {"requests": counts[0], "cpu_s": cpu,
            "cpu_per_request_us": cpu / max(counts[0], 1) * 1e6}


async def main(url: str, seconds: float, concurrency: int, rounds: int) -> dict[str, object]:
    parts = urlsplit(url)
    origin, path = Origin.parse(url), parts.path + (f"?{parts.query}" if parts.query else "")
    results: dict[str, list[dict[str, float]]] = {"transport": [], "aiohttp": []}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session, \
            Transport(Limits(per_host=None)) as transport:

        async def with_aiohttp() -> object:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
                return json.loads(await response.read())

        async def with_transport() -> object:
            return (await transport.get(origin, path, None, 10.0)).json()

        for _ in range(rounds):
            results["aiohttp"].append(await measure(with_aiohttp, seconds, concurrency))
            results["transport"].append(await measure(with_transport, seconds, concurrency))

    def median(name: str) -> dict[str, float]:
        return {key: statistics.median(r[key] for r in results[name])
                for key in results[name][0]}

    return {**median("transport"), "aiohttp": median("aiohttp")}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    print(json.dumps(aio.run(main(options.url, options.seconds, options.concurrency,
                                  options.rounds))))
