"""SIGINT and SIGTERM for the whole of `sim run` and `sim smoke`, not only while locust
runs: a signal at any moment is noted once, stops the load if there is one, stops what
comes next, and ends in exit code 128 + signal (130, 143) with the last report marked
interrupted (scenarios/command.py takes the last look). Python-level handlers run in the
main thread; asyncio and uvloop both run them promptly while they wait."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kept light: cli/ installs the handlers before its other imports
    import asyncio

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interruption:
    def __init__(self) -> None:
        self.signum: int | None = None
        self._wake: Callable[[], None] | None = None

    def note(self, signum: int, frame: FrameType | None = None) -> None:
        if self.signum is None:
            self.signum = signum
        if self._wake is not None:
            self._wake()

    @property
    def interrupted(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else "-"

    @property
    def exit_code(self) -> int:
        assert self.signum is not None
        return 128 + self.signum

    @contextmanager
    def waking(self, stop: asyncio.Event) -> Iterator[None]:
        """Set `stop` on a signal while the running loop waits on it (and at once if one
        came before)."""
        import asyncio

        loop = asyncio.get_running_loop()

        def wake() -> None:
            loop.call_soon_threadsafe(stop.set)

        self._wake = wake
        if self.interrupted:
            stop.set()
        try:
            yield
        finally:
            self._wake = None


_installed: Interruption | None = None


def install() -> Interruption:
    """This process's Interruption, its handlers installed on the first call. They stay
    until the process exits: a signal after the last look is noted and changes nothing,
    rather than killing the process or raising KeyboardInterrupt mid-exit."""
    global _installed
    if _installed is None:
        _installed = Interruption()
        for sig in SIGNALS:
            signal.signal(sig, _installed.note)
    return _installed
