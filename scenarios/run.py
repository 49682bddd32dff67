"""`sim run`: the simulator and BFF in this process, locust in a subprocess, a live view,
then report.json. One scenario with one policy per call of `run_scenario`."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bff.app import attach_bff
from bff.policyset import PolicySet
from reports.build import RunInputs, build_report
from reports.files import write_json_atomic
from reports.live import LiveSnapshot
from scenarios.locust_process import LocustFiles, LocustProcess
from scenarios.model import Scenario
from scenarios.target import TrafficSampler, wait_for_target, write_ports_file
from sim.host import HostConfig, SimHost
from sim.plan import FaultPlan

FREE = {"products": 0, "inventory": 0, "favorites": 0, "cart": 0, "admin": 0, "bff": 0}


@dataclass(frozen=True)
class RunOptions:
    scenario: Scenario
    policy: PolicySet
    out: Path
    seed: int
    processes: int = 0
    target: str | None = None  # an external BFF: the sim serves only the downstreams
    ports: dict[str, int] = field(default_factory=lambda: dict(FREE))
    ports_file: Path | None = None  # the chosen ports as JSON, written once all listen
    target_wait: float = 30.0  # seconds an external BFF gets to accept connections
    target_option: str = "--target"  # what the user typed, for the errors about it


@dataclass
class RunOutcome:
    report: dict[str, Any]
    locust_code: int | None
    interrupted: bool
    ports: dict[str, int] = field(default_factory=dict)  # as bound: reuse for the next run


def load_spec(scenario: Scenario, admin_url: str, users: int, seed: int) -> dict[str, Any]:
    phases = [{"name": phase.name, "duration": phase.duration,
               "users": scenario.users_in(phase), "spawn_rate": scenario.spawn_rate_in(phase)}
              for phase in scenario.phases]
    return {"phases": phases, "think": [scenario.load.think_min, scenario.load.think_max],
            "users": users, "seed": seed, "admin_url": admin_url,
            "degraded": scenario.degraded_rule()}


@dataclass(frozen=True)
class LocustNow:
    rps: float | None  # pages per second over the last second
    p95: float | None  # seconds, over locust's 10 s window
    error_ratio: float | None  # over the last second
    users: int | None


def read_locust_now(path: Path) -> LocustNow:
    """The latest second of locust's stats history. Its own Requests/s column stays 0 for
    the first seconds (a 10 s average): the rate here is the change of the total count."""
    try:
        with path.open() as handle:
            rows = [row for row in csv.DictReader(handle) if row.get("Name") == "Aggregated"]
    except OSError:
        return LocustNow(None, None, None, None)
    if not rows:
        return LocustNow(None, None, None, None)

    def number(row: dict[str, str], key: str) -> float | None:
        try:
            return float(row[key])
        except (KeyError, TypeError, ValueError):
            return None

    last = rows[-1]
    first = rows[-2] if len(rows) > 1 else {"Timestamp": str(float(last["Timestamp"]) - 1)}
    seconds = (number(last, "Timestamp") or 0.0) - (number(first, "Timestamp") or 0.0)
    count = (number(last, "Total Request Count") or 0.0) - \
        (number(first, "Total Request Count") or 0.0)
    failures = (number(last, "Total Failure Count") or 0.0) - \
        (number(first, "Total Failure Count") or 0.0)
    p95, users = number(last, "95%"), number(last, "User Count")
    return LocustNow(count / seconds if seconds > 0 else None,
                     None if p95 is None else p95 / 1000,
                     failures / count if count > 0 else None,
                     None if users is None else int(users))


class CounterSeries:
    """Counter snapshots once a second, so the report can chart what the policies did."""

    METRICS = ("bff_attempts_total", "bff_retries_scheduled_total", "bff_fallbacks_total",
               "bff_breaker_not_permitted_total", "bff_requests_total")

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._last: dict[str, int] = {}

    def sample(self, t: float, counters: Any) -> dict[str, int]:
        totals: dict[str, int] = {}
        for (name, labels), value in counters.items():
            if name in self.METRICS:  # keyed by downstream, or by outcome for requests
                key = f"{name}|{labels[0]}"
                totals[key] = totals.get(key, 0) + value
        delta = {k: v - self._last.get(k, 0) for k, v in totals.items()}
        self._last = totals
        self.rows.append({"t": round(t, 3), **{k: v for k, v in delta.items() if v}})
        return delta


async def run_scenario(options: RunOptions, on_tick: Callable[[LiveSnapshot], None],
                       stop: asyncio.Event) -> RunOutcome:
    scenario = options.scenario
    files = LocustFiles(options.out)
    plan: FaultPlan = scenario.fault_plan()
    config = HostConfig(ports=options.ports, seed=options.seed, plan=plan)
    started_wall = time.time()
    async with SimHost(config) as host:
        if options.target is None:
            await attach_bff(host, options.policy, options.ports.get("bff", 0))
        target = options.target or host.urls["bff"]
        if options.ports_file is not None:
            await write_ports_file(options.ports_file, host.urls, options.target,
                                   options.seed)
        if options.target is not None:
            await wait_for_target(options.target, options.target_wait,
                                  options.target_option, stop)
        spec = load_spec(scenario, host.urls["admin"], host.catalogue.users, options.seed)
        locust = LocustProcess(files, target, spec, options.processes)
        series = CounterSeries()
        traffic = TrafficSampler(host.ledger)
        sampler = asyncio.ensure_future(traffic.run())
        await locust.start()
        waiter = asyncio.ensure_future(locust.wait())
        stopper = asyncio.ensure_future(stop.wait())
        interrupted = False
        last: LiveSnapshot | None = None
        try:
            while not waiter.done():
                done, _ = await asyncio.wait({waiter, stopper}, timeout=1.0)
                if stopper in done and not waiter.done():
                    interrupted = True
                    await locust.stop()
                    break
                last = _snapshot(host, scenario, options, files, series)
                on_tick(last)
            code, stderr = await waiter
            if last is not None:  # the last frame says the load is over, and how
                on_tick(dataclasses.replace(last, finished=True, interrupted=interrupted))
        finally:
            stopper.cancel()
            sampler.cancel()
            if not waiter.done():
                await locust.stop()
                waiter.cancel()
            locust.kill_group()
        traffic.sample()
        # Beside report.json, like the samples: what the black-box inference read.
        await asyncio.to_thread(write_json_atomic, options.out / "traffic.json", traffic.rows)
        samples = await asyncio.to_thread(_read_samples, files.samples)
        inputs = RunInputs(
            scenario=scenario, policy=options.policy, seed=options.seed,
            target=options.target, processes=options.processes, started_at=started_wall,
            wall_seconds=time.time() - started_wall, samples=samples,
            counters=dict(host.ledger.counters),
            events=host.ledger.events_since(0, limit=10**9),
            counter_series=series.rows, locust_exit_code=code, locust_stderr=stderr,
            interrupted=interrupted, bff_state=host.state_sections["bff"]()
            if "bff" in host.state_sections else None,
            decisions=host.control.decision_digests(),
            traffic=traffic.rows, fanout={"inventory": float(len(host.catalogue.products))})
        bound = {name: listener.port for name, listener in host.listeners.items()}
    report = build_report(inputs)
    report["ports"] = bound
    return RunOutcome(report, code, interrupted, bound)


def _read_samples(path: Path) -> dict[str, Any] | None:
    try:
        payload: dict[str, Any] = json.loads(path.read_text())
        return payload
    except (OSError, ValueError):
        return None


def _snapshot(host: SimHost, scenario: Scenario, options: RunOptions, files: LocustFiles,
              series: CounterSeries) -> LiveSnapshot:
    position = host.control.timeline.position()
    delta = series.sample(position.elapsed, host.ledger.counters)
    requests = sum(v for k, v in delta.items() if k.startswith("bff_requests_total|"))
    degraded = delta.get("bff_requests_total|degraded", 0)
    retries = sum(v for k, v in delta.items() if k.startswith("bff_retries_scheduled_total"))
    now = read_locust_now(files.stats_history)
    breakers = {}
    bff_state = host.state_sections.get("bff")
    if bff_state is not None:
        for name, entry in bff_state().items():
            if isinstance(entry, dict) and entry.get("breaker"):
                breakers[name] = entry["breaker"]["state"]
    ours = options.target is None  # an external BFF's degraded answers and retries are
    return LiveSnapshot(  # known only to the report, from its answers and traffic
        scenario=scenario.name, policy=options.policy.name if ours else "external",
        elapsed=position.elapsed, total=scenario.duration, phase=position.phase,
        phase_left=position.phase_left, rps=now.rps, p95_10s=now.p95,
        error_ratio=now.error_ratio, users=now.users,
        degraded_ratio=degraded / requests if ours and requests else None,
        retries_per_second=float(retries) if ours else None, breakers=breakers)
