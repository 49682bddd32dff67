"""One round of `sim ab`.

Side by side (two configurations of our BFF): two simulator-and-BFF hosts on free ports
in this process and ONE locust whose every request goes to A or B at random (the
locustfile's `ab_targets`). Whatever slows the load generator, the event loop or the
machine at a given moment then slows A and B alike; two locust processes would not
share it (one may sit on the core a neighbour is using). Each side gets its own report
from its own host's ledger.

Alternating (two external BFFs, which share one address of the simulator, where only
one host fits): A's run then B's, in ABBA order over rounds (scenarios/ab_targets.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bff.app import attach_bff
from bff.policyset import PolicySet
from reports.build import RunInputs, build_report
from reports.files import write_json_atomic
from reports.gate import RoundData, round_data
from scenarios.locust_process import LocustFiles, LocustProcess
from scenarios.model import Scenario
from scenarios.run import FREE, load_spec
from sim.host import HostConfig, SimHost

WINDOW = 1.0  # seconds: side by side, A and B are compared second by second


@dataclass(frozen=True)
class Variant:
    label: str  # "A" or "B"
    scenario: Scenario
    policy: PolicySet
    target: str | None = None  # an external BFF's URL

    @property
    def option(self) -> str:
        """The option that named this side's external BFF, for the errors about it."""
        return f"--target-{self.label.lower()}"

    @property
    def policy_name(self) -> str:
        """An external BFF's policies are its own: the preset here never ran."""
        return "external" if self.target else self.policy.name

    def describe(self) -> dict[str, Any]:
        return {"label": self.label, "policy": self.policy_name, "target": self.target,
                "scenario": self.scenario.name}


@dataclass
class RoundResult:
    """One round: A's and B's data (empty when interrupted, the round then discarded) and
    what makes the round's measurements worthless (a target that answered only errors)."""

    data: list[RoundData]
    interrupted: bool
    problems: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def _hosts(variants: Sequence[Variant], seed: int) -> AsyncIterator[list[SimHost]]:
    async with contextlib.AsyncExitStack() as stack:
        hosts = []
        for variant in variants:
            config = HostConfig(ports=dict(FREE), seed=seed,
                                plan=variant.scenario.fault_plan())
            host = await stack.enter_async_context(SimHost(config))
            await attach_bff(host, variant.policy, 0)
            hosts.append(host)
        yield hosts


async def _wait(locust: LocustProcess, stop: asyncio.Event) -> tuple[int, str, bool]:
    waiter = asyncio.ensure_future(locust.wait())
    stopper = asyncio.ensure_future(stop.wait())
    interrupted = False
    try:
        done, _ = await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done and not waiter.done():
            interrupted = True
            await locust.stop()
        code, stderr = await waiter
    finally:
        stopper.cancel()
        if not waiter.done():
            await locust.stop()
            waiter.cancel()
        locust.kill_group()
    return code, stderr, interrupted


def _split(raw: Mapping[str, Any] | None) -> list[dict[str, Any] | None]:
    """samples.json of one locust into A's and B's (by the sample's side column)."""
    if raw is None:
        return [None, None]
    rows = raw.get("samples", [])
    return [{**raw, "samples": [r for r in rows if (r[5] if len(r) > 5 else 0) == side]}
            for side in (0, 1)]


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data


async def side_by_side(variants: Sequence[Variant], root: Path, seed: int, stop: asyncio.Event
                       ) -> RoundResult:
    await asyncio.to_thread(root.mkdir, parents=True, exist_ok=True)
    files = LocustFiles(root)
    scenario = variants[0].scenario  # the phases and load; B's may differ in faults only
    started = time.time()
    async with _hosts(variants, seed) as hosts:
        spec = load_spec(scenario, hosts[0].urls["admin"], hosts[0].catalogue.users, seed)
        spec["admin_urls"] = [host.urls["admin"] for host in hosts]
        spec["ab_targets"] = [host.urls["bff"] for host in hosts]
        locust = LocustProcess(files, hosts[0].urls["bff"], spec)
        await locust.start()
        code, stderr, interrupted = await _wait(locust, stop)
        raw = await asyncio.to_thread(read_json, files.samples)
        out = []
        for variant, host, side_raw in zip(variants, hosts, _split(raw), strict=True):
            report = build_report(RunInputs(
                scenario=variant.scenario, policy=variant.policy, seed=seed, target=None,
                processes=0, started_at=started, wall_seconds=time.time() - started,
                samples=side_raw, counters=dict(host.ledger.counters),
                events=host.ledger.events_since(0, limit=10**9), counter_series=[],
                locust_exit_code=code, locust_stderr=stderr, interrupted=interrupted,
                bff_state=host.state_sections["bff"]()))
            side_dir = root / variant.label.lower()
            await asyncio.to_thread(side_dir.mkdir, exist_ok=True)
            await asyncio.to_thread(write_json_atomic, side_dir / "report.json", report)
            await asyncio.to_thread(write_json_atomic, side_dir / "samples.json",
                                    side_raw or {"samples": []})
            out.append(round_data(report, side_raw or {"samples": []}, WINDOW))
    return RoundResult([] if interrupted else out, interrupted)
