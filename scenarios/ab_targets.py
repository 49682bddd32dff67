"""`sim ab --target-a URL --target-b URL`: rounds of two external BFFs.

Both BFFs are configured once with one address of the simulated services (the book's
ports, the port options, or the ports file), where only one simulator fits: each round
runs A then B (B then A in the next round, ABBA, so drift hits both alike), each run a
`sim run --target` (scenarios/run.py) with its waiting, traffic sampling and set-up
checks. Ports given as 0 are resolved at the first bind and kept for every later run, as
`sim smoke --target` does; the ports file is written once, at the first run.

Loud failures, each naming the option the user typed: a BFF that never accepts a
connection (exit 2, from scenarios/target.py), one that made 0 calls to the simulator
(exit 2, here), one that answered only errors (a problem that fails the gate).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.files import write_json_atomic
from reports.gate import RoundData, round_data
from scenarios.ab_round import RoundResult, Variant, read_json
from scenarios.run import RunOptions, run_scenario
from sim import DEFAULT_PORTS
from sim.errors import ConfigError

ALL_FAILED = "every page request"  # how reports/build.py starts that problem


@dataclass(frozen=True)
class TargetSetup:
    """The simulator side of two external BFFs: port options given (0 = any free port,
    then kept), the ports file, and how long each BFF gets to accept connections."""

    ports: tuple[tuple[str, int], ...] = ()
    ports_file: Path | None = None
    wait: float = 30.0  # seconds


@dataclass
class Alternation:
    """The runs of both targets: the simulator's ports as bound so far."""

    setup: TargetSetup
    ports: dict[str, int] = field(default_factory=dict)
    handed: bool = False  # the ports file is written

    def __post_init__(self) -> None:
        self.ports = {**DEFAULT_PORTS, **dict(self.setup.ports)}

    async def round(self, variants: Sequence[Variant], index: int, root: Path, seed: int,
                    stop: asyncio.Event) -> RoundResult:
        ordered = variants if index % 2 else variants[::-1]  # ABBA
        done: dict[str, RoundData] = {}
        problems: list[str] = []
        for variant in ordered:
            data, report, interrupted = await self._run(variant, root / variant.label.lower(),
                                                        seed, stop)
            if interrupted:
                return RoundResult([], True)
            done[variant.label] = data
            problems += [f"{variant.option}: {p}" for p in report["problems"]
                         if p.startswith(ALL_FAILED)]
        return RoundResult([done[v.label] for v in variants], False, problems)

    async def _run(self, variant: Variant, out: Path, seed: int, stop: asyncio.Event
                   ) -> tuple[RoundData, dict[str, Any], bool]:
        await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
        options = RunOptions(variant.scenario, variant.policy, out, seed, 0, variant.target,
                             dict(self.ports),
                             None if self.handed else self.setup.ports_file,
                             self.setup.wait, variant.option)
        outcome = await run_scenario(options, lambda _snapshot: None, stop)
        self.handed = True
        self.ports.update(outcome.ports)  # the same address for the next run
        await asyncio.to_thread(write_json_atomic, out / "report.json", outcome.report)
        if outcome.report.get("setup_error") and not outcome.interrupted:
            raise ConfigError(variant.option, outcome.report["setup_error"])
        raw = await asyncio.to_thread(read_json, out / "samples.json")
        data = round_data(inferred_view(outcome.report), raw or {"samples": []})
        return data, outcome.report, outcome.interrupted


def inferred_view(report: Mapping[str, Any]) -> dict[str, Any]:
    """An external BFF's report with what the simulator saw in place of the telemetry it
    lacks: calls and attempts per downstream from the inferred amplification, breaker
    opens from the inferred moves. The gate then checks both for external targets too."""
    services = report.get("blackbox", {}).get("services", {})
    downstreams, scoring = {}, {}
    for name, seen in services.items():
        if seen.get("amplification") and seen["calls"]:
            downstreams[name] = {"calls": round(seen["calls"] / seen["amplification"]),
                                 "attempts": seen["calls"]}
        scoring[name] = {"opens": seen.get("opens", 0)}
    return {**report, "downstreams": downstreams, "scoring": scoring}
