"""The BFF under test, ours or anybody's: the simulator's ports, the ports file that hands
them to the BFF, waiting for the target, the traffic the simulator saw, and the set-up
mistakes a run against an external BFF must not report as a verdict.

`sim run`, `sim smoke` and `sim ab --target-a/--target-b` (scenarios/ab_round.py) use all
of it; each names its own option (`--target`, `--target-a`, `--target-b`) in its errors.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reports.files import write_json_atomic
from sim import SERVICES
from sim.errors import ConfigError
from sim.ledger import Ledger

PORTS_SCHEMA = "bff-sim/ports"
TRAFFIC_INTERVAL = 0.1  # seconds between traffic samples: 0.25 s bins need finer ones


@dataclass(frozen=True)
class ExternalTarget:
    """`--target` and its companions, as `sim smoke` passes them on (`sim ab` takes only
    the two URLs)."""

    url: str | None = None  # None: our BFF
    ports_file: Path | None = None
    wait: float = 30.0  # seconds for the BFF to accept connections
    ports: tuple[tuple[str, int], ...] = ()  # port options given; 0 = any free port


def ports_file_body(urls: Mapping[str, str], target: str | None, seed: int
                    ) -> dict[str, Any]:
    ports = {name: urlsplit(url).port for name, url in urls.items()}
    return {"schema": PORTS_SCHEMA, "urls": dict(urls), "ports": ports, "seed": seed,
            "target": target or urls.get("bff")}


async def write_ports_file(path: Path, urls: Mapping[str, str], target: str | None,
                           seed: int) -> None:
    """Atomically, so a BFF polling for the file never reads half of it."""
    await asyncio.to_thread(write_json_atomic, path, ports_file_body(urls, target, seed))


async def wait_for_target(url: str, seconds: float, option: str = "--target",
                          stop: asyncio.Event | None = None) -> None:
    """Until the target accepts a TCP connection, or `stop` is set (the run is being
    interrupted: it returns, the caller's run stops at once); ConfigError naming
    `option` (exit 2) after `seconds`."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    deadline = time.monotonic() + seconds
    reason = ""
    while True:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2.0)
        except (OSError, TimeoutError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
        else:
            writer.close()
            await writer.wait_closed()
            return
        if stop is not None and stop.is_set():
            return
        if time.monotonic() >= deadline:
            raise ConfigError(option, f"{url} did not accept connections within "
                                          f"{seconds:g} s ({reason}); is the BFF running?")
        await asyncio.sleep(0.1)


class TrafficSampler:
    """Cumulative calls per service, every TRAFFIC_INTERVAL: arrivals, 2xx answers and
    abandoned calls. What reports/blackbox.py infers an external BFF's policies from."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.rows: list[dict[str, Any]] = []
        self._last: tuple[Any, ...] = ()

    def sample(self) -> None:
        received = dict.fromkeys(SERVICES, 0)
        ok = dict.fromkeys(SERVICES, 0)
        abandoned = dict.fromkeys(SERVICES, 0)
        for (name, labels), value in list(self.ledger.counters.items()):
            if name == "sim_requests_received_total":
                received[labels[0]] = value
            elif name == "sim_requests_total":
                status = labels[1]
                if status == "abandoned":
                    abandoned[labels[0]] += value
                elif status.startswith("2"):
                    ok[labels[0]] += value
        key = (tuple(received.values()), tuple(ok.values()), tuple(abandoned.values()))
        if key == self._last:
            return  # unchanged: the previous row still holds (readers take the latest <= t)
        self._last = key
        self.rows.append({"t": round(self.ledger.now(), 4), "received": received, "ok": ok,
                          "abandoned": abandoned})

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(TRAFFIC_INTERVAL)
