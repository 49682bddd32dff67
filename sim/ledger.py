"""The ledger: every typed event of a run, counters and latency histograms.

Memory stays bounded, by count and by bytes: events live in ring buffers (the newest
`capacity` frequent events, one per request or attempt; the newest `rare_capacity` rare
ones such as fault changes; and rings of their own for breaker transitions and phases, so
no flood of anything else can push those out), free-text fields are cut to MAX_TEXT
characters, and a page of events as JSON is cut at a byte budget. Counters and histograms
aggregate the whole run.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import operator
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sim.events import Event
from sim.latency import LatencyRecorder

Labels = tuple[str, ...]
Ring = deque[tuple[int, Event]]

# A request id (or any other free-text field) longer than this is stored cut, with a
# marker saying how long it was: an 8 KB X-Request-Id on every request must not turn the
# ledger's 20,000 events into 160 MB.
MAX_TEXT = 128


def cut_text(value: str) -> str:
    return value if len(value) <= MAX_TEXT else f"{value[:MAX_TEXT]}…[cut, {len(value)} chars]"


# The string fields that can carry text from outside the harness: a client's
# X-Request-Id, a failure's detail. The others hold the harness's own short names.
FREE_TEXT_FIELDS = ("request_id", "detail")


def _text_fields(cls: type[Event]) -> tuple[str, ...]:
    names = {f.name for f in dataclasses.fields(cls)}
    return tuple(name for name in FREE_TEXT_FIELDS if name in names)


def _longest_text(names: tuple[str, ...]) -> Callable[[Event], int]:
    """The length of an event's longest free-text field: runs on every emit, so cheap."""
    if not names:
        return lambda event: 0
    if len(names) == 1:
        getter = operator.attrgetter(names[0])
        return lambda event: len(getter(event))
    getters = [operator.attrgetter(name) for name in names]
    return lambda event: max(len(get(event)) for get in getters)


def _cut(event: Event, text_fields: tuple[str, ...]) -> Event:
    long: dict[str, Any] = {name: cut_text(getattr(event, name)) for name in text_fields
                            if len(getattr(event, name)) > MAX_TEXT}
    return dataclasses.replace(event, **long)


@dataclass(frozen=True)
class EventsPage:
    """Events after `since` as JSON texts, up to a count and a byte budget.

    `next_since`: the seq to ask from for the next page; `cut`: why the page stopped
    early (`limit` or `bytes`) while more events match, or None when it holds them all."""

    events: list[str]
    next_since: int
    cut: str | None


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
                 rare_capacity: int = 20_000, own_capacity: int = 5_000) -> None:
        self._clock = clock
        self._t0 = clock()
        self._seq = itertools.count(1)
        self._rings: dict[str, Ring] = {"frequent": deque(maxlen=capacity),
                                        "rare": deque(maxlen=rare_capacity)}
        self._own_capacity = own_capacity
        # Per event class: its ring, the fields that may hold long text, their longest
        # length, and its events_total counter key (built once, not per event).
        self._placement: dict[type[Event], tuple[Ring, tuple[str, ...],
                                                  Callable[[Event], int],
                                                  tuple[str, Labels]]] = {}
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
        cls = type(event)
        placement = self._placement.get(cls)
        if placement is None:
            names = _text_fields(cls)
            placement = self._placement[cls] = (self._ring_for(cls), names,
                                                _longest_text(names),
                                                ("events_total", (cls.kind,)))
        ring, text_fields, longest, counter = placement
        if longest(event) > MAX_TEXT:
            event = _cut(event, text_fields)
        ring.append((seq, event))
        self.counters[counter] += 1
        return seq

    def _ring_for(self, cls: type[Event]) -> Ring:
        name = cls.ring or ("frequent" if cls.frequent else "rare")
        if name not in self._rings:
            self._rings[name] = deque(maxlen=self._own_capacity)
        return self._rings[name]

    def count(self, metric: str, labels: Labels, n: int = 1) -> None:
        self.counters[(metric, labels)] += n

    def observe(self, metric: str, labels: Labels, seconds: float) -> None:
        self.histogram(metric, labels).record(seconds)

    def histogram(self, metric: str, labels: Labels) -> LatencyRecorder:
        """The histogram of (metric, labels), created (and so exposed) on first use."""
        key = (metric, labels)
        recorder = self.histograms.get(key)
        if recorder is None:
            recorder = self.histograms[key] = LatencyRecorder()
        return recorder

    def events_since(self, since: int = 0, limit: int = 1000,
                     kinds: frozenset[str] | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for seq, event in self._matching(since, kinds):
            out.append(event_to_dict(seq, event))
            if len(out) >= limit:
                break
        return out

    def events_page(self, since: int, limit: int, kinds: frozenset[str] | None,
                    max_bytes: int) -> EventsPage:
        """Like `events_since`, serialized, stopping before the page passes `max_bytes`
        (it holds at least one event, which MAX_TEXT keeps small)."""
        texts: list[str] = []
        size, next_since = 0, since
        for seq, event in self._matching(since, kinds):
            if len(texts) >= limit:
                return EventsPage(texts, next_since, "limit")
            text = json.dumps(event_to_dict(seq, event))
            size += len(text) + 1
            if texts and size > max_bytes:
                return EventsPage(texts, next_since, "bytes")
            texts.append(text)
            next_since = seq
        return EventsPage(texts, next_since, None)

    def _matching(self, since: int,
                  kinds: frozenset[str] | None) -> Iterator[tuple[int, Event]]:
        return ((seq, event) for seq, event in self.iter_events()
                if seq > since and (not kinds or event.kind in kinds))

    def iter_events(self) -> Iterator[tuple[int, Event]]:
        """Every ring merged in sequence order."""
        return heapq.merge(*self._rings.values(), key=lambda item: item[0])

    @property
    def oldest_seq(self) -> int:
        """The oldest sequence number still held (older frequent events may be gone)."""
        heads = [ring[0][0] for ring in self._rings.values() if ring]
        return min(heads) if heads else self.last_seq + 1

    def counter_values(self, metric: str) -> dict[Labels, int]:
        return {labels: n for (name, labels), n in self.counters.items() if name == metric}
