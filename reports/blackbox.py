"""What a BFF's policies did, inferred from the outside: from the calls the simulated
services saw, next to the page requests the load generator sent (pure, no I/O).

Works for any BFF, ours included (there it cross-checks the BFF's own telemetry):
- breaker: the calls to a service per unit of what drives them (pages; for inventory the
  products answers, one fan-out each) fall below LOW of their healthy level while the
  drivers go on: open. Back above HIGH: closed. Hysteresis and HOLD_BINS consecutive bins
  keep a noisy bin from counting as a transition; bins where the calls to every service
  stopped at once are a stalled BFF, not a breaker (outside the service's own fault).
- retry amplification: calls per driver over the run, divided by the healthy level.
- abandoned: calls the BFF hung up on before the service answered.

A `down` fault refuses connections, so the simulator cannot see attempts while it holds:
a breaker's time to open there is not measurable (None with `observable` False).
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim import SERVICES

LOW, HIGH = 0.2, 0.5  # fraction of the healthy calls per driver: open below, closed above
MIN_DRIVER = 3  # fewer pages (or products answers) in a bin say nothing about a breaker
HOLD_BINS = 2  # a state must hold this many bins to count as a transition
DRIVER = {"inventory": "products"}  # inventory is called once per product in an answer


@dataclass(frozen=True)
class TrafficPoint:
    """Cumulative counts at `t` (seconds since the phases started)."""

    t: float
    received: Mapping[str, int]  # calls that reached each service
    ok: Mapping[str, int]  # calls each service answered with a 2xx
    abandoned: Mapping[str, int]  # calls whose caller hung up before the answer


@dataclass(frozen=True)
class FaultWindow:
    phase: str
    start: float
    end: float
    observable: bool  # False under `down`: refused connections never reach the simulator


@dataclass(frozen=True)
class BlackboxInputs:
    traffic: Sequence[TrafficPoint]
    # (start, end) of every page request, seconds since the phases started
    pages: Sequence[tuple[float, float]]
    windows: Mapping[str, Sequence[FaultWindow]]
    fanout: Mapping[str, float]  # nominal calls per driver (inventory: catalogue size)
    step: float = 0.25  # bin width, seconds


def _cumulative(points: Sequence[TrafficPoint], times: Sequence[float], at: float,
                field: str, service: str) -> int:
    index = bisect.bisect_right(times, at) - 1
    if index < 0:
        return 0
    counts: Mapping[str, int] = getattr(points[index], field)
    return counts.get(service, 0)


def _binned(inputs: BlackboxInputs, field: str, service: str, bins: int) -> list[int]:
    times = [p.t for p in inputs.traffic]
    edges = [_cumulative(inputs.traffic, times, i * inputs.step, field, service)
             for i in range(bins + 1)]
    return [edges[i + 1] - edges[i] for i in range(bins)]


def _page_bins(pages: Sequence[tuple[float, float]], step: float, bins: int) -> list[float]:
    """Pages in flight per bin, each spread evenly over its flight: its downstream calls
    happen somewhere between its start and its answer, later than the start when the BFF
    is slow to dispatch them (a cold start, a busy machine)."""
    out = [0.0] * bins
    for start, end in pages:
        first, last = int(start // step), int(max(end, start) // step)
        if last == first or end <= start:
            if 0 <= first < bins:
                out[first] += 1.0
            continue
        for index in range(max(first, 0), min(last, bins - 1) + 1):
            overlap = min(end, (index + 1) * step) - max(start, index * step)
            out[index] += max(overlap, 0.0) / (end - start)
    return out


def _in(t: float, windows: Sequence[FaultWindow]) -> FaultWindow | None:
    return next((w for w in windows if w.start <= t < w.end), None)


def _reference(calls: Sequence[int], drivers: Sequence[float], unhealthy: Sequence[bool],
               nominal: float) -> tuple[float, str]:
    """Healthy calls per driver over the bins without a fault: the ratio of sums over the
    bins near the median (a breaker still open after its fault would pull a mean down)."""
    bins = [(c, d) for c, d, bad in zip(calls, drivers, unhealthy, strict=True)
            if d >= MIN_DRIVER and not bad]
    if len(bins) < HOLD_BINS:
        return nominal, "nominal"
    median = statistics.median(c / d for c, d in bins)
    near = [(c, d) for c, d in bins if c / d >= HIGH * median]
    if median <= 0 or not near:
        return nominal, "nominal"
    return sum(c for c, _ in near) / sum(d for _, d in near), "measured"


def _transitions(levels: Sequence[float | None], step: float) -> list[dict[str, Any]]:
    """open/closed moves from per-bin levels (None: nothing to judge, keep the state).

    A move's time is interpolated inside the bin where the calls stopped (or resumed),
    by the share of its normal calls that still came: bins alone would add up to `step`.
    """
    state, candidate, since, run = "closed", "closed", 0, 0
    moves: list[dict[str, Any]] = []
    for index, level in enumerate(levels):
        if level is None:
            continue
        seen = "open" if level < LOW else "closed" if level >= HIGH else None
        if seen is None:  # between the bands: no evidence either way, the hold restarts
            run = 0
            continue
        if seen != candidate or run == 0:
            candidate, since, run = seen, index, 0
        run += 1
        if candidate != state and run >= HOLD_BINS:
            state = candidate
            moves.append({"t": round(_edge(levels, since, state) * step, 4), "to": state})
    return moves


def _edge(levels: Sequence[float | None], first: int, state: str) -> float:
    """In bins: when calls stopped (state open: during the bin before `first`, after the
    share of it that still had calls) or resumed (during `first`, before its share)."""
    if state == "open":
        before = levels[first - 1] if first > 0 else None
        return first - 1 + min(before, 1.0) if before is not None else float(first)
    level = levels[first]
    return first + 1 - min(level, 1.0) if level is not None else float(first)


def _state_at(moves: Sequence[Mapping[str, Any]], t: float) -> str:
    state = "closed"
    for move in moves:
        if move["t"] <= t:
            state = move["to"]
    return state


def _score(window: FaultWindow, moves: Sequence[Mapping[str, Any]],
           step: float) -> dict[str, Any]:
    """Time from the fault's start to the first open (0 if already open), and from its end
    to the close (0 if already closed then), as `scoring` does with the BFF's own breaker
    timeline. A later open is another trip, not this fault's: it counts in `opens`."""
    open_at_start = _state_at(moves, window.start) == "open"
    first_open = 0.0 if open_at_start else next(
        (m["t"] - window.start for m in moves
         if m["to"] == "open" and window.start <= m["t"] < window.end), None)
    # A `down` hides an open until the first judged bin after it: that open is its own.
    end = window.end + (0.0 if window.observable else step)
    opened = open_at_start or any(
        m["to"] == "open" and window.start <= m["t"] < end for m in moves)
    if _state_at(moves, end) == "open":
        close = next((m["t"] for m in moves if m["to"] == "closed" and m["t"] >= window.end),
                     None)
    else:  # closed by the fault's end (or within the bin a `down` hid)
        close = next((m["t"] for m in moves
                      if m["to"] == "closed" and window.end <= m["t"] <= end), window.end)
    return {"time_to_open": round(first_open, 4) if window.observable and
            first_open is not None else None,
            "time_to_close": round(close - window.end, 4) if opened and close is not None
            else None,
            "observable": window.observable}


@dataclass(frozen=True)
class _Service:
    calls: list[int]
    drivers: Sequence[float]
    blind: list[bool]
    faulty: list[bool]  # a bin inside this service's own fault window
    levels: list[float | None]
    reference: float
    source: str


def _levels(inputs: BlackboxInputs, service: str, pages: Sequence[float],
            bins: int) -> _Service:
    calls = _binned(inputs, "received", service, bins)
    driver_name = DRIVER.get(service)
    drivers: Sequence[float] = pages if driver_name is None else \
        _binned(inputs, "ok", driver_name, bins)
    own = inputs.windows.get(service, ())
    upstream = inputs.windows.get(driver_name, ()) if driver_name else ()
    mids = [(i + 0.5) * inputs.step for i in range(bins)]
    faulty = [_in(t, own) is not None for t in mids]
    unhealthy = [bad or _in(t, upstream) is not None for t, bad in zip(mids, faulty,
                                                                       strict=True)]
    reference, source = _reference(calls, drivers, unhealthy, inputs.fanout.get(service, 1.0))
    # Under `down` nothing reaches the simulator: those bins say nothing, not "no calls".
    blind = [(w := _in(t, own)) is not None and not w.observable for t in mids]
    # Nothing to judge before the first call either: a breaker cannot open on calls never
    # made, while the first pages' calls may lag them (a cold start).
    first_call = next((i for i, c in enumerate(calls) if c), bins)
    levels = [None if blind[i] or drivers[i] < MIN_DRIVER or i < first_call
              else calls[i] / (reference * drivers[i]) for i in range(bins)]
    return _Service(calls, drivers, blind, faulty, levels, reference, source)


def _stalls(services: Mapping[str, _Service], bins: int) -> set[int]:
    """A breaker stops the calls to ONE service; bins where the calls to every judged
    service stopped at once while pages waited are the BFF itself stalling (a busy
    machine, a long GC): they say nothing about a breaker, except for a service inside
    its own fault window."""
    out = set()
    for index in range(bins):
        judged = [level for s in services.values()
                  if (level := s.levels[index]) is not None]
        if len(judged) >= 2 and all(level < LOW for level in judged):
            out.add(index)
    return out


def _summary(inputs: BlackboxInputs, service: str, data: _Service, stalls: set[int]
             ) -> tuple[dict[str, Any], list[int]]:
    levels = [None if i in stalls and not data.faulty[i] else level
              for i, level in enumerate(data.levels)]
    moves = _transitions(levels, inputs.step)
    calls, drivers, blind = data.calls, data.drivers, data.blind
    seen = sum(c for c, b in zip(calls, blind, strict=True) if not b)
    driven = sum(d for d, b in zip(drivers, blind, strict=True) if not b)
    last = inputs.traffic[-1] if inputs.traffic else None
    summary = {
        "calls": sum(calls),
        "calls_per_page": sum(calls) / len(inputs.pages) if inputs.pages else None,
        "reference": round(data.reference, 4),
        "reference_from": data.source,
        "amplification": seen / (data.reference * driven) if driven else None,
        "abandoned": last.abandoned.get(service, 0) if last else 0,
        "breaker_moves": moves,
        "opens": sum(m["to"] == "open" for m in moves),
        "phases": {w.phase: _score(w, moves, inputs.step)
                   for w in inputs.windows.get(service, ())},
    }
    per_second = max(1, round(1 / inputs.step))
    return summary, [sum(calls[i:i + per_second]) for i in range(0, len(calls), per_second)]


def infer(inputs: BlackboxInputs) -> dict[str, Any]:
    """Per service: calls, amplification, abandoned, inferred breaker moves and scores;
    `calls_series`: the calls each service saw per second, for the charts."""
    end = max([p.t for p in inputs.traffic] + [e for _, e in inputs.pages], default=0.0)
    bins = int(end // inputs.step) + 1 if inputs.traffic else 0
    pages = _page_bins(inputs.pages, inputs.step, bins)
    data = {service: _levels(inputs, service, pages, bins) for service in SERVICES}
    stalls = _stalls(data, bins)
    services, series = {}, {}
    for service in SERVICES:
        services[service], series[service] = _summary(inputs, service, data[service],
                                                      stalls)
    return {"step": inputs.step, "pages": len(inputs.pages), "services": services,
            "calls_series": series}


def traffic_from_rows(rows: Sequence[Mapping[str, Any]], t0: float) -> list[TrafficPoint]:
    """TrafficPoints from the rows a run sampled (ledger time), shifted to the arming."""
    return [TrafficPoint(row["t"] - t0, row["received"], row["ok"], row["abandoned"])
            for row in rows]
