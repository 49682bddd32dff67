"""Open-loop load: requests start on a fixed schedule (RATE per second) whatever the
answers do, and each latency is measured from its scheduled start, so a stalled server
shows up in the numbers instead of slowing the client down (no coordinated omission).
Prints one JSON object: count, statuses, degraded (BFF 200s with a fallback in them),
latency percentiles in ms (with fewer than 100 samples "p99" is the slowest), late starts,
and the client's own start lag (its timer and loop: scheduled start to the request being
handed to aiohttp), which the latencies include.

Usage: python benchmarks/rate_client.py URL --rate 100 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter

import aiohttp

from sim import aio

MAX_IN_FLIGHT = 2000  # a hung server must not grow the client without bound


def _degraded(body: bytes) -> bool:
    """A BFF answer with a fallback in it (non-empty `degraded`); other JSON: no."""
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    return isinstance(payload, dict) and bool(payload.get("degraded"))


async def one(session: aiohttp.ClientSession, url: str, scheduled: float,
              latencies: list[float], statuses: Counter[str], degraded: list[int],
              lags: list[float]) -> None:
    lags.append(time.perf_counter() - scheduled)
    try:
        async with session.get(url) as response:
            body = await response.read()
            statuses[str(response.status)] += 1
            if response.status == 200 and _degraded(body):
                degraded[0] += 1
    except (TimeoutError, aiohttp.ClientError) as error:
        statuses[type(error).__name__] += 1
    latencies.append(time.perf_counter() - scheduled)


async def main(url: str, rate: float, seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    lags: list[float] = []
    statuses: Counter[str] = Counter()
    tasks: set[asyncio.Task[None]] = set()
    late = skipped = 0
    degraded = [0]
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=timeout) as session:
        start = time.perf_counter()
        for index in range(int(rate * seconds)):
            scheduled = start + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.005:
                late += 1  # the client itself fell behind by more than 5 ms
            if len(tasks) >= MAX_IN_FLIGHT:
                skipped += 1
                continue
            task = asyncio.create_task(one(session, url, scheduled, latencies, statuses,
                                           degraded, lags))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
    latencies.sort()
    lags.sort()

    def pct(q: float, values: list[float] = latencies) -> float:
        if not values:
            return 0.0
        return values[min(len(values) - 1, int(len(values) * q))] * 1000

    return {"count": len(latencies), "statuses": dict(statuses), "degraded": degraded[0],
            "late_starts": late,
            "skipped": skipped, "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99),
            "max_ms": latencies[-1] * 1000 if latencies else 0.0,
            "start_lag_p50_ms": pct(0.5, lags), "start_lag_p99_ms": pct(0.99, lags)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    options = parser.parse_args()
    print(json.dumps(aio.run(main(options.url, options.rate, options.seconds))))
