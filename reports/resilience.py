"""What the timeouts, retries, breakers and fallbacks did, from the ledger (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sim import SERVICES

Counters = Mapping[tuple[str, tuple[str, ...]], int]


def _by_label(counters: Counters, metric: str, downstream: str, index: int = 1
              ) -> dict[str, int]:
    out: dict[str, int] = {}
    for (name, labels), value in counters.items():
        if name == metric and labels and labels[0] == downstream and len(labels) > index:
            out[labels[index]] = out.get(labels[index], 0) + value
    return dict(sorted(out.items()))


def _total(counters: Counters, metric: str, downstream: str) -> int:
    return sum(v for (name, labels), v in counters.items()
               if name == metric and labels and labels[0] == downstream)


def downstream_stats(counters: Counters) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for downstream in SERVICES:
        calls = _by_label(counters, "bff_calls_total", downstream)
        attempts = _by_label(counters, "bff_attempts_total", downstream)
        total_calls = sum(calls.values())
        total_attempts = sum(attempts.values())
        timeouts = _by_label(counters, "bff_timeouts_total", downstream)
        hedges = _by_label(counters, "bff_hedges_total", downstream)
        out[downstream] = {
            "calls": total_calls,
            "calls_by_result": calls,
            "attempts": total_attempts,
            "attempts_by_outcome": attempts,
            "amplification": total_attempts / total_calls if total_calls else 0.0,
            "timeouts_per_try": timeouts.get("per_try", 0),
            "timeouts_deadline": timeouts.get("deadline", 0),
            "retries_scheduled": _total(counters, "bff_retries_scheduled_total", downstream),
            "retries_blocked": _by_label(counters, "bff_retries_blocked_total", downstream),
            "not_permitted": _total(counters, "bff_breaker_not_permitted_total", downstream),
            "bulkhead_rejected": _total(counters, "bff_bulkhead_rejected_total", downstream),
            "fallbacks": _by_label(counters, "bff_fallbacks_total", downstream),
            "hedges_sent": hedges.get("sent", 0),
            "hedges_won": hedges.get("won", 0),
            "abandoned": _total(counters, "bff_abandoned_total", downstream),
            "downstream_saw": sum(_by_label(counters, "sim_requests_total", downstream)
                                  .values()),
        }
    return out


def fault_summary(counters: Counters) -> dict[str, Any]:
    injected: dict[str, dict[str, int]] = {}
    answered: dict[str, dict[str, int]] = {}
    for service in SERVICES:
        injected[service] = _by_label(counters, "sim_faults_injected_total", service)
        answered[service] = _by_label(counters, "sim_requests_total", service)
    return {"injected": injected, "answered": answered}


def bff_outcomes(counters: Counters) -> dict[str, int]:
    return dict(sorted((labels[0], value) for (name, labels), value in counters.items()
                       if name == "bff_requests_total"))


def breaker_timeline(events: Iterable[Mapping[str, Any]], t0: float) -> list[dict[str, Any]]:
    """Every breaker transition, `t` in seconds since the timeline was armed (t0, ledger)."""
    return [{
        "t": round(event["t"] - t0, 4),
        "downstream": event["breaker"],
        "from": event["from_state"],
        "to": event["to_state"],
        "reason": event["reason"],
        "failure_rate": event.get("failure_rate"),
        "slow_rate": event.get("slow_rate"),
    } for event in events if event["kind"] == "breaker_transition"]


def armed_at(events: Sequence[Mapping[str, Any]]) -> float | None:
    """Ledger time of the last arming: the last `phase_started` with index 0."""
    starts = [e["t"] for e in events if e["kind"] == "phase_started" and e["index"] == 0]
    return starts[-1] if starts else None


def scoring(timeline: Sequence[Mapping[str, Any]],
            bounds: Sequence[tuple[str, float, float]],
            faulty: Mapping[str, Sequence[str]]) -> dict[str, dict[str, Any]]:
    """Judge each breaker against the injected faults, which only a simulator knows.

    faulty: downstream -> phases in which it had faults. For each faulty phase: time from
    its start to the first open (0 if an earlier fault's open was still in force then; an open
    left from a false trip does not count), and from its end
    to the next close (0 if it had closed again by then: a later open is a false trip).
    Opens outside every faulty phase (plus a second of grace) are false trips; downstreams
    that were never faulty are scored too, so a false trip on a healthy one shows.
    """
    spans = {name: (start, end) for name, start, end in bounds}
    out: dict[str, dict[str, Any]] = {}
    for downstream in sorted(set(faulty) | {m["downstream"] for m in timeline}):
        phases = faulty.get(downstream, [])
        moves = [m for m in timeline if m["downstream"] == downstream]
        opens = [m["t"] for m in moves if m["to"] == "open"]
        closes = [m["t"] for m in moves if m["to"] == "closed"]
        windows = [spans[p] for p in phases if p in spans]
        per_phase = {}
        for phase in phases:
            if phase not in spans:
                continue
            start, end = spans[phase]
            before = [m for m in moves if m["t"] <= start]
            # Already open at the start counts only if an earlier fault opened it: an open
            # left over from a false trip must not pass this fault's time-to-open target.
            carried = bool(before) and before[-1]["to"] == "open" and any(
                s <= before[-1]["t"] < e + 1.0 for s, e in windows)
            first_open = 0.0 if carried else next(
                (t - start for t in opens if start <= t < end), None)
            per_phase[phase] = {
                "time_to_open": first_open,
                "time_to_close": _time_to_close(moves, closes, end, first_open is not None),
            }
        false_trips = sum(1 for t in opens if not any(s <= t < e + 1.0 for s, e in windows))
        out[downstream] = {"phases": per_phase, "opens": len(opens),
                           "false_trips": false_trips}
    return out


def _time_to_close(moves: Sequence[Mapping[str, Any]], closes: Sequence[float], end: float,
                   opened: bool) -> float | None:
    """Seconds from a fault's end to its breaker's close: None if the fault never opened
    it or it never closed; 0 if it was closed when the fault ended."""
    if not opened:
        return None
    before = [m["to"] for m in moves if m["t"] <= end]
    if not before or before[-1] == "closed":
        return 0.0
    return next((t - end for t in closes if t >= end), None)
