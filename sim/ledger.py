"""The ledger: every typed event of a run, counters and latency histograms.

Memory stays bounded: events live in two ring buffers, the newest `capacity` frequent
events (per request or attempt) and the newest `rare_capacity` rare ones (phases, breaker
transitions, fault changes), while counters and histograms aggregate the whole run.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any

from sim.events import Event
from sim.latency import LatencyRecorder

Labels = tuple[str, ...]


def event_to_dict(seq: int, event: Event) -> dict[str, Any]:
    body = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    for key, value in body.items():
        if isinstance(value, dict | tuple) or hasattr(value, "items"):
            body[key] = _plain(value)
    return {"seq": seq, "kind": event.kind, **body}


def _plain(value: Any) -> Any:
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


class Ledger:
    def __init__(self, clock: Callable[[], float], capacity: int = 20_000,
                 rare_capacity: int = 20_000) -> None:
        self._clock = clock
        self._t0 = clock()
        self._seq = itertools.count(1)
        self._frequent: deque[tuple[int, Event]] = deque(maxlen=capacity)
        self._rare: deque[tuple[int, Event]] = deque(maxlen=rare_capacity)
        self.last_seq = 0
        self.counters: Counter[tuple[str, Labels]] = Counter()
        self.histograms: dict[tuple[str, Labels], LatencyRecorder] = {}

    def now(self) -> float:
        """Seconds since the ledger (the host) started, on the monotonic clock."""
        return self._clock() - self._t0

    def at(self, monotonic: float) -> float:
        """Convert a raw loop-clock reading to ledger time."""
        return monotonic - self._t0

    def emit(self, event: Event) -> int:
        seq = next(self._seq)
        self.last_seq = seq
        (self._frequent if event.frequent else self._rare).append((seq, event))
        self.counters[("events_total", (event.kind,))] += 1
        return seq

    def count(self, metric: str, labels: Labels, n: int = 1) -> None:
        self.counters[(metric, labels)] += n

    def observe(self, metric: str, labels: Labels, seconds: float) -> None:
        key = (metric, labels)
        recorder = self.histograms.get(key)
        if recorder is None:
            recorder = self.histograms[key] = LatencyRecorder()
        recorder.record(seconds)

    def events_since(self, since: int = 0, limit: int = 1000,
                     kinds: frozenset[str] | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for seq, event in self.iter_events():
            if seq <= since or (kinds and event.kind not in kinds):
                continue
            out.append(event_to_dict(seq, event))
            if len(out) >= limit:
                break
        return out

    def iter_events(self) -> Iterator[tuple[int, Event]]:
        """Both rings merged in sequence order."""
        return heapq.merge(self._frequent, self._rare, key=lambda item: item[0])

    @property
    def oldest_seq(self) -> int:
        """The oldest sequence number still held (older frequent events may be gone)."""
        heads = [ring[0][0] for ring in (self._frequent, self._rare) if ring]
        return min(heads) if heads else self.last_seq + 1

    def counter_values(self, metric: str) -> dict[Labels, int]:
        return {labels: n for (name, labels), n in self.counters.items() if name == metric}
