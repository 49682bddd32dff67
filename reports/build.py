"""Building report.json (the run's single source of truth) from what a run collected.

Pure: no I/O. Schema version REPORT_VERSION, documented in docs/report-format.md.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from bff.policyset import PolicySet
from reports.blackbox import BlackboxInputs, FaultWindow, infer, traffic_from_rows
from reports.report_schema import REPORT_SCHEMA, REPORT_VERSION
from reports.resilience import (
    armed_at,
    bff_outcomes,
    breaker_timeline,
    downstream_stats,
    fault_summary,
    scoring,
)
from reports.slo import evaluate
from reports.stats import per_phase, samples_from_raw, series, summarize
from scenarios.model import Scenario
from sim import SERVICES
from sim.aio import loop_name
from sim.plan import FaultPlan


@dataclass(frozen=True)
class RunInputs:
    scenario: Scenario
    policy: PolicySet
    seed: int
    target: str | None
    processes: int
    started_at: float  # epoch
    wall_seconds: float
    samples: Mapping[str, Any] | None  # what the locustfile wrote, or None
    counters: Mapping[tuple[str, tuple[str, ...]], int]
    events: Sequence[Mapping[str, Any]]
    counter_series: Sequence[Mapping[str, Any]]
    locust_exit_code: int | None
    locust_stderr: str
    interrupted: bool
    bff_state: Mapping[str, Any] | None
    # Per service, each decision stream's digest (FaultControl.decision_digests).
    decisions: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
    traffic: Sequence[Mapping[str, Any]] = ()  # scenarios/target.py TrafficSampler rows
    fanout: Mapping[str, float] = dataclasses.field(default_factory=dict)


def phase_bounds(scenario: Scenario) -> list[tuple[str, float, float]]:
    bounds, start = [], 0.0
    for phase in scenario.phases:
        bounds.append((phase.phase.name, start, start + phase.phase.duration))
        start += phase.phase.duration
    return bounds


def faulty_phases(plan: FaultPlan) -> dict[str, list[str]]:
    """Per service, the phases in which it had any fault (its own or the base ones)."""
    out: dict[str, list[str]] = {}
    for phase in plan.phases:
        for service in SERVICES:
            faults = phase.faults.get(service, plan.base.get(service, ()))
            if faults:
                out.setdefault(service, []).append(phase.name)
    return out


def without_seed(section: Mapping[str, Any]) -> dict[str, Any]:
    """A section of the report minus its `seed`: `--seed` may differ from the file's, and
    a report has one seed field, the top-level one, so nobody reads the wrong one."""
    return {key: value for key, value in section.items() if key != "seed"}


def decision_digests(decisions: Mapping[str, Sequence[Mapping[str, Any]]] | None,
                     t0: float | None) -> dict[str, list[dict[str, Any]]]:
    """Per service, each decision stream (base, phase:<name>, admin, after) with `t` from
    the arming of the timeline, like every other `t` in the report."""
    if not decisions:
        return {}
    return {service: [{**stream, "t": round(stream["t"] - (t0 or 0.0), 4)}
                      for stream in streams]
            for service, streams in decisions.items()}


def fault_windows(plan: FaultPlan, bounds: Sequence[tuple[str, float, float]]
                  ) -> dict[str, list[FaultWindow]]:
    """Per service, its faulty phases as time windows; a `down` one hides the attempts."""
    spans = {name: (start, end) for name, start, end in bounds}
    out: dict[str, list[FaultWindow]] = {}
    for phase in plan.phases:
        for service in SERVICES:
            faults = phase.faults.get(service, plan.base.get(service, ()))
            if faults and phase.name in spans:
                start, end = spans[phase.name]
                blind = any(f.kind == "down" for f in faults)
                out.setdefault(service, []).append(FaultWindow(phase.name, start, end,
                                                               not blind))
    return out


def blackbox(inputs: RunInputs, samples: Sequence[Any], t0: float | None,
             bounds: Sequence[tuple[str, float, float]]) -> dict[str, Any]:
    """The policies inferred from the traffic the simulator saw (any BFF)."""
    if t0 is None or not inputs.traffic:
        return {}
    return infer(BlackboxInputs(traffic_from_rows(inputs.traffic, t0),
                                [(s.t, s.t + s.latency) for s in samples],
                                fault_windows(inputs.scenario.fault_plan(), bounds),
                                inputs.fanout))


def setup_error(target: str | None, overall: Mapping[str, Any],
                inferred: Mapping[str, Any]) -> str | None:
    """An external BFF that never called the simulator is not wired to it: a set-up error
    (exit 2), not a verdict on the BFF."""
    services = inferred.get("services", {})
    if target is None or not overall["requests"] or not services or \
            any(s["calls"] for s in services.values()):
        return None
    return (f"the target made 0 calls to {', '.join(SERVICES)}: is it configured with the "
            f"simulator's ports (see --ports-file)?")


def target_problems(target: str | None, overall: Mapping[str, Any]) -> list[str]:
    """An external BFF that answers nothing but errors measured nothing worth a verdict."""
    if target is None or not overall["requests"] or overall["failed"] < overall["requests"]:
        return []
    statuses = ", ".join(f"{k} x{v}" for k, v in overall["statuses"].items())
    return [f"every page request to the target failed ({statuses})"]


def environment(inputs: RunInputs) -> dict[str, Any]:
    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    return {
        "python": sys.version.split()[0], "platform": platform.platform(),
        "machine": platform.machine(), "cpus": os.cpu_count(), "loop": loop_name(),
        "bff_sim": version("bff-sim"), "locust": version("locust"),
        "aiohttp": version("aiohttp"),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(inputs.started_at)),
        "wall_seconds": round(inputs.wall_seconds, 3), "locust_processes": inputs.processes,
    }


def build_report(inputs: RunInputs) -> dict[str, Any]:
    scenario = inputs.scenario
    bounds = phase_bounds(scenario)
    problems: list[str] = []
    raw = inputs.samples
    if raw is None:
        problems.append("locust wrote no samples (it crashed, was killed or never started)")
        raw = {"armed_at": None, "samples": [], "workers": 0}
    armed_epoch = raw.get("armed_at") or inputs.started_at
    samples = samples_from_raw(raw.get("samples", []), armed_epoch)
    if raw.get("dropped"):
        problems.append(f"samples.json holds {len(samples):,} requests; "
                        f"{raw['dropped']:,} more were not kept (the locustfile's "
                        f"MAX_SAMPLES): the statistics cover the kept ones")
    if inputs.locust_exit_code not in (0, None) and not inputs.interrupted:
        tail = inputs.locust_stderr.strip().splitlines()[-1:] or [""]
        problems.append(f"locust exited with code {inputs.locust_exit_code}: {tail[0]}")
    if inputs.interrupted:
        problems.append("interrupted: the run was stopped before the scenario ended")
    elif samples and samples[-1].t < scenario.duration * 0.9 - 1.0:
        problems.append(f"the load stopped after {samples[-1].t:.1f} s of a "
                        f"{scenario.duration:.0f} s scenario")
    ran_for = max((s.t for s in samples), default=0.0)
    duration = scenario.duration if not inputs.interrupted else min(scenario.duration,
                                                                    max(ran_for, 1e-9))
    t0 = armed_at(inputs.events)
    timeline = breaker_timeline(inputs.events, t0) if t0 is not None else []
    plan = scenario.fault_plan()
    overall = summarize(samples, duration)
    problems += target_problems(inputs.target, overall)
    inferred = blackbox(inputs, samples, t0, bounds)
    wiring = setup_error(inputs.target, overall, inferred)
    problems += [wiring] if wiring else []
    external = inputs.target is not None
    report: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "version": REPORT_VERSION,
        "complete": not problems,
        "interrupted": inputs.interrupted,
        "problems": problems,
        "scenario": without_seed(scenario.to_dict()),
        "seed": inputs.seed,  # the one seed field: the run's (`--seed` or the scenario's)
        # An external BFF's policies are its own: the preset here never ran.
        "policy": {"name": "external", "settings": None} if external else
        {"name": inputs.policy.name, "settings": dataclasses.asdict(inputs.policy)},
        "target": inputs.target,
        "environment": environment(inputs),
        "phases": [{"name": n, "start": s, "end": e} for n, s, e in bounds],
        "client": {
            "overall": overall,
            "phases": per_phase(samples, bounds),
            "series": series(samples),
            "workers": raw.get("workers", 0),
        },
        "bff": {"outcomes": bff_outcomes(inputs.counters), "state": inputs.bff_state},
        "downstreams": downstream_stats(inputs.counters) if inputs.target is None else {},
        "breaker_timeline": timeline,
        "scoring": scoring(timeline, bounds, faulty_phases(plan)),
        "faults": {**fault_summary(inputs.counters),
                   "plan": without_seed(plan.to_dict()),
                   "decisions": decision_digests(inputs.decisions, t0),
                   "phase_events": [{"t": round(e["t"] - (t0 or 0.0), 4), "kind": e["kind"],
                                     "phase": e.get("phase")}
                                    for e in inputs.events
                                    if e["kind"] in ("phase_started", "timeline_ended")]},
        "resilience_series": list(inputs.counter_series),
        "blackbox": inferred,
        "setup_error": wiring,
    }
    verdicts = evaluate(scenario.slos, report)
    report["slos"] = [v.to_dict() for v in verdicts]
    report["passed"] = not any(v.failed for v in verdicts) and not problems
    return report
