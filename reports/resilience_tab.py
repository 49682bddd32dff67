"""The rows of the web UI's Resilience tab, built from what the admin API serves: `/state`
(timeline, breaker snapshots), `/metrics` (the ledger's counters) and breaker transition
events. Pure functions, so the tab is tested without a browser or a running locust."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

Labels = tuple[tuple[str, str], ...]
Metrics = dict[tuple[str, Labels], float]

# Keys are plain lowercase words: locust's front end camel-cases the keys of both the table
# structure and the rows, and words without underscores survive that unchanged.
DOWNSTREAM_COLUMNS = (
    ("downstream", "Downstream"), ("breaker", "Breaker"), ("failurerate", "Failure rate"),
    ("slowrate", "Slow-call rate"), ("calls", "Window calls"), ("attempts", "Attempts"),
    ("timeouts", "Per-try timeouts"), ("retries", "Retries scheduled"),
    ("blocked", "Retries blocked"), ("notpermitted", "Not permitted"),
    ("fallbacks", "Fallbacks served"),
)
TRANSITION_COLUMNS = (
    ("t", "Time since Start"), ("breaker", "Breaker"), ("change", "Change"),
    ("reason", "Reason"),
    ("failurerate", "Failure rate"), ("slowrate", "Slow-call rate"),
)
RESILIENCE_TAB, TRANSITIONS_TAB = "resilience", "transitions"

_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def tab_definitions() -> dict[str, Any]:
    """What locust's `template_args` needs to show the two extra tabs as tables."""
    def structure(columns: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"key": key, "title": title} for key, title in columns]

    return {
        "extended_tabs": [{"title": "Resilience", "key": RESILIENCE_TAB},
                          {"title": "Breaker transitions", "key": TRANSITIONS_TAB}],
        "extended_tables": [{"key": RESILIENCE_TAB, "structure": structure(DOWNSTREAM_COLUMNS)},
                            {"key": TRANSITIONS_TAB,
                             "structure": structure(TRANSITION_COLUMNS)}],
    }


def parse_metrics(text: str) -> Metrics:
    """Prometheus text exposition -> {(name, sorted labels): value}; comments skipped."""
    metrics: Metrics = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None or line.startswith("#"):
            continue
        name, labels, value = match.groups()
        try:
            number = float(value)
        except ValueError:
            continue
        pairs = tuple(sorted(_LABEL.findall(labels or "")))
        metrics[(name, pairs)] = number
    return metrics


def counter(metrics: Metrics, name: str, downstream: str, **where: str) -> int:
    """Sum of a counter's series for one downstream (and any other label values given)."""
    total = 0.0
    for (metric, labels), value in metrics.items():
        if metric != name:
            continue
        found = dict(labels)
        if found.get("downstream") != downstream:
            continue
        if all(found.get(key) == wanted for key, wanted in where.items()):
            total += value
    return int(total)


def _percent(value: object) -> str:
    return f"{value * 100:.0f}%" if isinstance(value, int | float) else "-"


def downstream_rows(state: Mapping[str, Any], metrics: Metrics) -> list[dict[str, Any]]:
    """One row per downstream of the BFF: its breaker now and what its policies did."""
    bff = state.get("bff")
    if not isinstance(bff, Mapping):
        return []
    rows = []
    for name, entry in bff.items():
        if not isinstance(entry, Mapping):
            continue  # "policy": the preset's name
        breaker = entry.get("breaker") or {}
        rows.append({
            "downstream": name,
            "breaker": breaker.get("state", "none"),
            "failurerate": _percent(breaker.get("failure_rate")),
            "slowrate": _percent(breaker.get("slow_call_rate")),
            "calls": breaker.get("calls", "-"),
            "attempts": counter(metrics, "bff_attempts_total", name),
            "timeouts": counter(metrics, "bff_timeouts_total", name, which="per_try"),
            "retries": counter(metrics, "bff_retries_scheduled_total", name),
            "blocked": counter(metrics, "bff_retries_blocked_total", name),
            "notpermitted": counter(metrics, "bff_breaker_not_permitted_total", name),
            "fallbacks": counter(metrics, "bff_fallbacks_total", name),
        })
    return rows


def phase_text(state: Mapping[str, Any]) -> str:
    """"outage, 3.2 s left" / "not armed: press Start" / "all phases done"."""
    timeline = state.get("timeline") or {}
    if not timeline.get("armed"):
        return "phases not armed yet (they start with the load)"
    if timeline.get("ended") or timeline.get("phase") is None:
        return "all phases done"
    left = timeline.get("phase_left")
    rest = f", {left:.1f} s left" if isinstance(left, int | float) else ""
    return f"{timeline['phase']}{rest}"


def phase_line(state: Mapping[str, Any]) -> dict[str, Any]:
    """The line above the Resilience tab's table (not a row of it: locust's tables have
    fixed columns): the phase, its place in the plan, the time since Start, the policy."""
    timeline = state.get("timeline") or {}
    phases = timeline.get("phases") or []
    index = timeline.get("index")
    parts = [f"Phase: {phase_text(state)}"]
    if isinstance(index, int) and phases:
        parts[0] = f"Phase {index + 1}/{len(phases)}: {phase_text(state)}"
    elapsed = timeline.get("elapsed")
    if timeline.get("armed") and isinstance(elapsed, int | float):
        parts.append(f"t+{elapsed:.1f} s since Start")
    policy = (state.get("bff") or {}).get("policy")
    if policy:
        parts.append(f"policy {policy}")
    return {"phase": timeline.get("phase"), "text": " · ".join(parts)}


def transition_rows(events: Iterable[Mapping[str, Any]], limit: int = 12
                    ) -> list[dict[str, Any]]:
    """The newest breaker transitions of the current test first, each with the reason it
    gave; its time counts from Start (the last arming of the phases: `phase_started` with
    index 0), not from when the simulator started. Before any Start: since the sim began."""
    events = list(events)
    starts = [float(e.get("t", 0.0)) for e in events
              if e.get("kind") == "phase_started" and e.get("index") == 0]
    start = starts[-1] if starts else 0.0
    rows = []
    for event in events:
        t = float(event.get("t", 0.0))
        if event.get("kind") != "breaker_transition" or t < start:
            continue  # an earlier test's transitions are not this one's
        rows.append({
            "t": f"t+{t - start:.1f} s",
            "breaker": event.get("breaker", "?"),
            "change": f"{event.get('from_state', '?')} -> {event.get('to_state', '?')}",
            "reason": event.get("reason", ""),
            "failurerate": _percent(event.get("failure_rate")),
            "slowrate": _percent(event.get("slow_rate")),
        })
    return rows[::-1][:limit]


def extended_stats(state: Mapping[str, Any], metrics: Metrics,
                   events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The `extended_stats` list locust's front end reads from /stats/requests."""
    return [{"key": RESILIENCE_TAB, "data": downstream_rows(state, metrics)},
            {"key": TRANSITIONS_TAB, "data": transition_rows(events)}]
