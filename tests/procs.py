"""Processes seen through /proc (Linux; no psutil): children, process groups, liveness."""

from __future__ import annotations

import time
from pathlib import Path


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgid) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the command name may hold spaces
    return fields[0], int(fields[1]), int(fields[2])


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie has exited, only unreaped


def children(pid: int) -> list[int]:
    return [p for p in _pids() if (s := _stat(p)) is not None and s[1] == pid and alive(p)]


def group(pgid: int) -> list[int]:
    return [p for p in _pids() if (s := _stat(p)) is not None and s[2] == pgid and alive(p)]


def locust_group(sim_pid: int, members: int = 1, timeout: float = 60) -> list[int]:
    """The pids of the locust that `sim_pid` started and of its workers, once there are
    `members` of them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in children(sim_pid):
            if "locust" in cmdline(child) and len(found := group(child)) >= members:
                return found
        time.sleep(0.1)
    raise AssertionError(f"no locust with {members} processes under pid {sim_pid}")


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """The pids still alive after `timeout` seconds (polling)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in pids if alive(pid)]
        if not left:
            return []
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]
