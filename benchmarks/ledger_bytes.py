"""What long request ids cost the ledger: `sim serve`'s RSS before and after N BFF
requests that each carry an 8,000-character X-Request-Id, and the size in bytes of one
`/events?limit=10000` answer (docs/admin-api.md#ledger-events). With `--fault`, every
service injects 1 ms of latency, so each downstream call leaves a `fault_injected` event
with its own copy of the id (the case that grew RSS by 160 MB).

Usage: .venv/bin/python benchmarks/ledger_bytes.py [--requests 25000] [--concurrency 16]
       [--fault]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import urllib.request
from pathlib import Path

import aiohttp
from harness import put_fault, sim_urls, start_sim, stop

from sim import SERVICES

LONG_ID = "r" * 8000  # under aiohttp's 8,190-byte header line limit


def rss_mb(admin: str) -> float:
    with urllib.request.urlopen(f"{admin}/state", timeout=10) as response:
        return float(json.load(response)["process"]["rss_bytes"]) / 1e6


def events_bytes(admin: str) -> int:
    with urllib.request.urlopen(f"{admin}/events?limit=10000", timeout=60) as response:
        return len(response.read())


async def load(url: str, requests: int, concurrency: int) -> None:
    left = iter(range(requests))

    async def user(session: aiohttp.ClientSession) -> None:
        for i in left:
            async with session.get(url, headers={"X-Request-Id": f"{i}-{LONG_ID}"}) as answer:
                await answer.read()

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(user(session) for _ in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=25_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault", action="store_true", help="1 ms latency on every service")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_sim(Path(tmp) / "ready.json")
        try:
            urls = sim_urls(Path(tmp) / "ready.json")
            for service in SERVICES if options.fault else ():
                put_fault(urls["admin"], service, [{"type": "latency", "delay": "1ms"}])
            before = rss_mb(urls["admin"])
            asyncio.run(load(f"{urls['bff']}/products/all", options.requests,
                             options.concurrency))
            after = rss_mb(urls["admin"])
            size = events_bytes(urls["admin"])
            print(f"{options.requests} requests with {len(LONG_ID)}-char ids"
                  f"{', 1 ms latency on each service' if options.fault else ''}: RSS "
                  f"{before:.0f} MB -> {after:.0f} MB; /events?limit=10000: {size / 1e6:.2f} MB")
        finally:
            stop(server)


if __name__ == "__main__":
    main()
