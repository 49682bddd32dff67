"""Checks of command-line values the option parser cannot express: ranges with a one-line
error (a port past 65535 would silently wrap around), and paths written later (a ready
file in a missing directory would fail only once the servers were up)."""

from __future__ import annotations

import os
from pathlib import Path

from sim.errors import ConfigError

# Upper bounds of the CLI's numbers (documented in README "Limits"): past them a value
# is a typo, and some (a port past 65535) would silently wrap around.
MAX_PROCESSES = 256
MAX_HISTORY = 100_000


def check_range(option: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ConfigError(option, f"must be from {low} to {high:,}, got {value:,}")
    return value


def check_ports(**ports: int) -> None:
    for name, port in ports.items():
        check_range(f"--{name.replace('_', '-')}", port, 0, 65535)


def check_out_file(option: str, path: Path | None) -> None:
    """A file written once the server is up: its directory must exist now, not fail then."""
    if path is not None and not path.absolute().parent.is_dir():
        raise ConfigError(option, f"directory {path.absolute().parent} does not exist")


def check_data_dir(path: Path | None) -> None:
    if path is None:
        return
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("--data-dir", f"cannot create {path} ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError("--data-dir", f"{path} is not writable")
