"""`sim serve`: start the host, report where it listens, run until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from sim.host import HostConfig, SimHost

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
READY_FILE_MODE = 0o644  # mkstemp's 0600 would hide it from a BFF run as another user


@contextlib.contextmanager
def stop_signals() -> Iterator[asyncio.Future[str]]:
    """A future that gets the name of the first SIGINT or SIGTERM while inside."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[str] = loop.create_future()

    def on_signal(sig: signal.Signals) -> None:
        if not received.done():
            received.set_result(sig.name)

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        yield received
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def serve(config: HostConfig, on_ready: Callable[[SimHost], None],
                ready_file: Path | None = None,
                attach: Callable[[SimHost], Awaitable[object]] | None = None) -> str:
    # The handlers are in place before anyone can see the ready file: a signal sent the
    # moment it appears stops the simulator cleanly instead of killing it.
    with stop_signals() as received:
        async with SimHost(config) as host:
            if attach is not None:
                await attach(host)
            on_ready(host)
            if ready_file is not None:
                text = json.dumps({"urls": host.urls, "seed": host.seed})
                await asyncio.to_thread(write_whole, ready_file, text)
            return await received


def write_whole(path: Path, text: str) -> None:
    """`text` at `path`, which a BFF or script under test may be polling: written under a
    temp name in the same directory and renamed over it, so a reader sees no file or the
    whole file, never an empty or half-written one. (reports.files does the same for run
    outputs; `sim serve` must not import reports: issue 13's start-up budget.)"""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, READY_FILE_MODE)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
