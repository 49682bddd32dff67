"""`sim serve`: start the host, report where it listens, run until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from sim.host import HostConfig, SimHost


async def wait_for_signal() -> str:
    """Block until SIGINT or SIGTERM; returns the signal's name."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[str] = loop.create_future()

    def on_signal(sig: signal.Signals) -> None:
        if not received.done():
            received.set_result(sig.name)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        return await received
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def serve(config: HostConfig, on_ready: Callable[[SimHost], None],
                ready_file: Path | None = None,
                attach: Callable[[SimHost], Awaitable[object]] | None = None) -> str:
    async with SimHost(config) as host:
        if attach is not None:
            await attach(host)
        on_ready(host)
        if ready_file is not None:
            text = json.dumps({"urls": host.urls, "seed": host.seed})
            await asyncio.to_thread(ready_file.write_text, text)
        return await wait_for_signal()
