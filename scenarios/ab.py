"""`sim ab`: two configurations of one scenario in one run, so machine noise hits both
alike, judged by the statistical gate (reports.gate).

Each round runs A and B side by side, one load generator sending every request to A or
B at random (scenarios.ab_round); two external BFFs alternate instead
(scenarios.ab_targets). Rounds repeat until `rounds` are done, and then, with a time
budget, until the verdict is decisive or the budget cannot fit another round
(tachometer's auto-sample). Interrupted, the result covers the rounds completed so far
(a round cut short is left out: its sides did not run alike).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.gate import RoundData, gate, round_spread
from reports.gate_noise import (
    CpuTimes,
    cpu_shares,
    parse_loadavg,
    parse_proc_stat,
    summarize_noise,
)
from scenarios.ab_round import RoundResult, Variant, side_by_side
from scenarios.ab_targets import Alternation, TargetSetup
from scenarios.gate_rules import GateRules

AB_SCHEMA = "bff-sim/ab"


@dataclass(frozen=True)
class AbOptions:
    a: Variant
    b: Variant
    out: Path
    seed: int
    rounds: int = 3
    budget: float | None = None  # seconds of wall time; None: exactly `rounds` rounds
    rules: GateRules = field(default_factory=GateRules)
    strict: bool = False
    targets: TargetSetup = field(default_factory=TargetSetup)  # with --target-a/-b only

    @property
    def side_by_side(self) -> bool:
        return self.a.target is None and self.b.target is None


@dataclass
class AbOutcome:
    result: dict[str, Any]
    interrupted: bool


class NoiseSampler:
    """Once a second: CPU busy and steal shares (/proc/stat) and the 1-minute load."""

    def __init__(self) -> None:
        self.readings: list[dict[str, float]] = []

    @staticmethod
    def _read() -> tuple[CpuTimes | None, float | None]:
        try:
            with open("/proc/stat") as stat, open("/proc/loadavg") as load:
                return parse_proc_stat(stat.read()), parse_loadavg(load.read())
        except OSError:  # not Linux: no noise figures, the gate still works
            return None, None

    async def run(self) -> None:
        before, _ = await asyncio.to_thread(self._read)
        while True:
            await asyncio.sleep(1.0)
            after, load = await asyncio.to_thread(self._read)
            if before is None or after is None:
                continue
            busy, steal = cpu_shares(before, after)
            self.readings.append({"busy": busy, "steal": steal, "load": load or 0.0})
            before = after


class Rounds:
    """The rounds run so far: each side's data, and the problems that void a verdict."""

    def __init__(self, options: AbOptions) -> None:
        self.options = options
        self.a: list[RoundData] = []
        self.b: list[RoundData] = []
        self.problems: list[str] = []
        self.alternation = Alternation(options.targets)

    async def run(self, index: int, stop: asyncio.Event) -> bool:
        """Round `index`; False if it was interrupted (and is left out)."""
        root = self.options.out / f"round-{index}"
        seed = self.options.seed + index - 1  # both sides share the seed; rounds differ
        variants = (self.options.a, self.options.b)
        done: RoundResult = await side_by_side(variants, root, seed, stop) \
            if self.options.side_by_side else \
            await self.alternation.round(variants, index, root, seed, stop)
        if done.interrupted:
            return False
        self.a.append(done.data[0])
        self.b.append(done.data[1])
        self.problems += [p for p in done.problems if p not in self.problems]
        return True

    def judge(self) -> dict[str, Any]:
        """The gate over the rounds so far. A side that answered only errors measured
        nothing to compare: the verdict fails, whatever the statistics say."""
        result = gate(self.a, self.b, self.options.rules, self.options.strict,
                      self.options.side_by_side)
        if not self.a:  # nothing completed: the data decide nothing
            result.update(verdict="inconclusive", passed=False,
                          notes=["no round completed: nothing to compare"])
        if self.problems:
            result.update(verdict="fail", passed=False, problems=list(self.problems))
        return result


async def run_ab(options: AbOptions, on_round: Callable[[int, dict[str, Any]], None],
                 stop: asyncio.Event) -> AbOutcome:
    started = time.monotonic()
    sampler = NoiseSampler()
    noise_task = asyncio.ensure_future(sampler.run())
    rounds = Rounds(options)
    interrupted = False
    index = 0
    try:
        while not (interrupted := stop.is_set()):
            index += 1
            round_started = time.monotonic()
            if not await rounds.run(index, stop):
                interrupted = True
                break
            result = await asyncio.to_thread(rounds.judge)
            on_round(index, result)
            if not another_round(options, index, result, started,
                                 time.monotonic() - round_started):
                break
    finally:
        noise_task.cancel()
    result = await asyncio.to_thread(rounds.judge)
    if interrupted:
        mark_ab_interrupted(result)
    spread = round_spread(rounds.a, rounds.b)
    result = {"schema": AB_SCHEMA, "version": 1, **result,
              "scenario": options.a.scenario.to_dict(),
              "variants": [options.a.describe(), options.b.describe()],
              "mode": "side by side" if options.side_by_side else "alternating",
              "seed": options.seed, "wall_seconds": round(time.monotonic() - started, 3),
              "interrupted": interrupted,
              "noise": summarize_noise(sampler.readings, os.cpu_count(), spread)}
    return AbOutcome(result, interrupted)


def mark_ab_interrupted(result: dict[str, Any], signal_name: str = "") -> None:
    """A verdict on the rounds completed before a signal: kept, but never a pass."""
    if result.get("interrupted"):
        return
    result["interrupted"] = True
    result["passed"] = False
    done = result["rounds"]["a"]
    by = f" by {signal_name}" if signal_name else ""
    result["notes"] = [*result.get("notes", []),
                       f"interrupted{by}: the verdict covers the {done} round"
                       f"{'' if done == 1 else 's'} completed"]


def another_round(options: AbOptions, index: int, result: dict[str, Any], started: float,
                   last_round: float) -> bool:
    if index < options.rounds:
        return True
    if options.budget is None or result.get("verdict") != "inconclusive":
        return False
    return time.monotonic() - started + last_round <= options.budget
