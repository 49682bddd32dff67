"""Where a run writes: a directory of its own. A default directory is created with an
atomic mkdir (a `-2`, `-3` suffix when another run took the name in the same second); a
directory given with `--out` is locked while sim writes in it (`.sim.lock`, an flock
that dies with its process, holding the pid for the message) and must not already hold
a run unless `--force` says to replace it."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import time
from pathlib import Path

from reports.files import MANIFEST
from sim.errors import ConfigError

LOCK = ".sim.lock"
RUN_FILES = ("report.json", MANIFEST)  # what makes a directory hold a run


def default_out(scenario: str, policy: str | None, root: Path = Path("results")) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return unique_dir(root / (f"{stamp}-{scenario}" + (f"-{policy}" if policy else "")))


def unique_dir(base: Path) -> Path:
    """`base` or the first free `base-N`, created here: two runs can never share one."""
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        for n in itertools.count(1):
            candidate = base if n == 1 else base.with_name(f"{base.name}-{n}")
            with contextlib.suppress(FileExistsError):
                candidate.mkdir()
                return candidate
    except OSError as exc:
        raise ConfigError("--out", f"cannot create {base.parent} ({exc.strerror})") from None
    raise AssertionError("unreachable")  # pragma: no cover


def check_out_dir(out: Path) -> Path:
    if any(part == ".." for part in out.parts):
        raise ConfigError("--out", f"{out} must not contain '..'")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ConfigError("--out", f"{out} is not a writable directory ({exc.strerror})"
                          ) from None
    return out


def holds_run(directory: Path) -> bool:
    return any((directory / name).exists() for name in RUN_FILES)


def claim(out: Path, run_dirs: list[Path], force: bool, option: str = "--out") -> int:
    """Lock `out` for this process and check that none of `run_dirs` (inside it) holds a
    run, or with `force`, unmark them as finished sets. Returns the lock's descriptor,
    held until the process exits (the kernel drops the lock even after kill -9)."""
    check_out_dir(out)
    handle = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(handle, 32).decode(errors="replace").strip() or "?"
        os.close(handle)
        raise ConfigError(option, f"{out} is in use by another sim (pid {holder}); wait "
                                  f"for it to finish or choose another directory") from None
    os.ftruncate(handle, 0)
    os.write(handle, f"{os.getpid()}\n".encode())
    taken = [d for d in run_dirs if holds_run(d)]
    if taken and not force:
        os.close(handle)
        raise ConfigError(option, f"{taken[0]} already holds a run; choose another "
                                  f"directory, or pass --force to replace it")
    for directory in taken:  # replaced: not a finished set until the new one is written
        (directory / MANIFEST).unlink(missing_ok=True)
    return handle
