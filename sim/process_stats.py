"""What the harness itself costs while it runs: resident memory, open file descriptors and
live asyncio tasks of this process. Read at request time from /proc (Linux); elsewhere the
fields that cannot be read are None. The soak test and benchmark gate on these numbers."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# ru_maxrss is in KiB on Linux, in bytes on macOS
_MAXRSS_SCALE = 1 if sys.platform == "darwin" else 1024


def rss_bytes() -> int | None:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE
    except OSError:
        return None


def open_fds() -> int | None:
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # listdir's own descriptor
    except OSError:
        return None


def process_stats() -> dict[str, int | float | None]:
    usage = resource.getrusage(resource.RUSAGE_SELF) if resource is not None else None
    return {
        "rss_bytes": rss_bytes(),
        "max_rss_bytes": usage.ru_maxrss * _MAXRSS_SCALE if usage else None,
        "open_fds": open_fds(),
        "asyncio_tasks": len(asyncio.all_tasks()),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3) if usage else None,
    }
