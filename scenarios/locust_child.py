"""`python -m scenarios.locust_child ARGS` runs locust as `python -m locust ARGS` would,
but it never outlives the `sim` that started it, even after `kill -9 sim`:

- Linux: `sim` sets PR_SET_PDEATHSIG before exec (`die_with_parent`), and every worker
  locust forks for `--processes` gets it too, towards its master.
- Everywhere: a thread blocks on a pipe whose write end only `sim` holds. The kernel
  closes it when `sim` dies, however; the read returns empty and the thread kills
  locust's process group (itself and its workers).

Nothing here imports locust before it runs: locust patches the process with gevent on
import, and the watcher is a plain OS thread started before that (`_thread`, so that
`threading` is first imported, and patched, by locust as usual).
"""

from __future__ import annotations

import _thread
import ctypes
import os
import runpy
import signal
import sys
from collections.abc import Callable

LIFELINE_ENV = "SIM_LIFELINE_FD"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def pdeathsig_setter() -> Callable[[], None] | None:
    """A function for a forked child (no allocation, no import) that asks Linux to SIGKILL
    it when the thread that forked it exits; None where there is no prctl. The thread
    matters: sim forks locust from its main thread, the one that lives as long as sim."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return die_with_parent


def _watch_lifeline(fd: int) -> None:
    while True:
        try:
            if not os.read(fd, 1):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    os.killpg(os.getpgrp(), signal.SIGKILL)


def main() -> None:
    fd = os.environ.pop(LIFELINE_ENV, "")
    if fd.isdigit():
        _thread.start_new_thread(_watch_lifeline, (int(fd),))
    setter = pdeathsig_setter()
    if setter is not None:  # locust's --processes workers: dead with their master
        os.register_at_fork(after_in_child=setter)
    sys.argv[0] = "locust"
    runpy.run_module("locust", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
