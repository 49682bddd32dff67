"""Running the event loop: uvloop where it is installed, plain asyncio elsewhere."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # optional: Windows, or a trimmed install
        return None
    return uvloop.new_event_loop


# Python's default (700 allocations) runs a young-generation collection every few
# requests here, and the objects that survive them (the ledger's event rings) make the
# occasional full collection stall the loop for ~100 ms: at 100 BFF requests/s with 20 ms
# on every service that queues calls past the breakers' slow-call limit, and answers
# degrade with no fault to explain it. benchmarks/bench_gc.py measures both settings
# (docs/performance.md#garbage-collector).
GC_THRESHOLDS = (50_000, 20, 10)


_gc_tuned = False


def tune_gc() -> None:
    """For a long-lived serving process: what is loaded at start-up is never garbage, so
    keep it out of every collection, and collect young objects far less often. Once per
    process: a later freeze would make an earlier run's uncollected garbage permanent."""
    global _gc_tuned
    if _gc_tuned:
        return
    _gc_tuned = True
    # The young generations only: a full collection here cost 40-90 ms of `sim serve`'s
    # start-up (issue 13) and freed nothing; imports leave no cyclic garbage to speak of.
    gc.collect(1)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run(main: Coroutine[Any, Any, T]) -> T:
    tune_gc()
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


def loop_name() -> str:
    factory = loop_factory()
    return "uvloop" if factory is not None else "asyncio"
