"""`sim run`: the simulator and BFF in this process, locust in a subprocess, a live view,
then report.json. One scenario with one policy per call of `run_scenario`."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bff.app import attach_bff
from bff.policyset import PolicySet
from reports.build import RunInputs, build_report
from reports.live import LiveSnapshot
from scenarios.locust_process import LocustFiles, LocustProcess
from scenarios.model import Scenario
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


@dataclass
class RunOutcome:
    report: dict[str, Any]
    locust_code: int | None
    interrupted: bool


def load_spec(scenario: Scenario, admin_url: str, users: int, seed: int) -> dict[str, Any]:
    phases = [{"name": phase.name, "duration": phase.duration,
               "users": scenario.users_in(phase), "spawn_rate": scenario.spawn_rate_in(phase)}
              for phase in scenario.phases]
    return {"phases": phases, "think": [scenario.load.think_min, scenario.load.think_max],
            "users": users, "seed": seed, "admin_url": admin_url}


def read_locust_now(path: Path) -> tuple[float | None, float | None, float | None]:
    """(req/s, p95 seconds over locust's 10 s window, failure ratio) from its stats history."""
    try:
        with path.open() as handle:
            rows = [row for row in csv.DictReader(handle) if row.get("Name") == "Aggregated"]
    except OSError:
        return None, None, None
    if not rows:
        return None, None, None
    last = rows[-1]

    def number(key: str) -> float | None:
        try:
            return float(last[key])
        except (KeyError, TypeError, ValueError):
            return None

    rps, failures, p95 = number("Requests/s"), number("Failures/s"), number("95%")
    ratio = failures / rps if rps and failures is not None else None
    return rps, None if p95 is None else p95 / 1000, ratio


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
        spec = load_spec(scenario, host.urls["admin"], host.catalogue.users, options.seed)
        locust = LocustProcess(files, target, spec, options.processes)
        series = CounterSeries()
        await locust.start()
        waiter = asyncio.ensure_future(locust.wait())
        stopper = asyncio.ensure_future(stop.wait())
        interrupted = False
        try:
            while not waiter.done():
                done, _ = await asyncio.wait({waiter, stopper}, timeout=1.0)
                if stopper in done and not waiter.done():
                    interrupted = True
                    await locust.stop()
                    break
                on_tick(_snapshot(host, scenario, options.policy.name, files, series))
            code, stderr = await waiter
        finally:
            stopper.cancel()
            if not waiter.done():
                await locust.stop()
                waiter.cancel()
            locust.kill_group()
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
            decisions=host.control.decision_digests())
    return RunOutcome(build_report(inputs), code, interrupted)


def _read_samples(path: Path) -> dict[str, Any] | None:
    try:
        payload: dict[str, Any] = json.loads(path.read_text())
        return payload
    except (OSError, ValueError):
        return None


def _snapshot(host: SimHost, scenario: Scenario, policy: str, files: LocustFiles,
              series: CounterSeries) -> LiveSnapshot:
    position = host.control.timeline.position()
    delta = series.sample(position.elapsed, host.ledger.counters)
    requests = sum(v for k, v in delta.items() if k.startswith("bff_requests_total|"))
    degraded = delta.get("bff_requests_total|degraded", 0)
    retries = sum(v for k, v in delta.items() if k.startswith("bff_retries_scheduled_total"))
    rps, p95, errors = read_locust_now(files.stats_history)
    breakers = {}
    bff_state = host.state_sections.get("bff")
    if bff_state is not None:
        for name, entry in bff_state().items():
            if isinstance(entry, dict) and entry.get("breaker"):
                breakers[name] = entry["breaker"]["state"]
    return LiveSnapshot(
        scenario=scenario.name, policy=policy, elapsed=position.elapsed,
        total=scenario.duration, phase=position.phase, phase_left=position.phase_left,
        rps=rps, p95_10s=p95, error_ratio=errors,
        degraded_ratio=degraded / requests if requests else None,
        retries_per_second=float(retries), breakers=breakers)
