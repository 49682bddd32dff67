"""`sim ab`: two configurations of one scenario in one run, so machine noise hits both
alike, judged by the statistical gate (reports.gate).

Each round runs A and B side by side, one load generator sending every request to A or
B at random; two external BFFs alternate instead (scenarios.ab_round). Rounds repeat
until `rounds` are done, and then, with a time budget, until the verdict is decisive or
the budget cannot fit another round (tachometer's auto-sample).
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
from scenarios.ab_round import Variant, alternating, side_by_side
from scenarios.gate_rules import GateRules

AB_SCHEMA = "bff-sim/ab"
WINDOW = 1.0  # seconds: the strata of a side-by-side round


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


async def run_round(options: AbOptions, index: int, stop: asyncio.Event
                    ) -> tuple[RoundData, RoundData, bool]:
    root = options.out / f"round-{index}"
    seed = options.seed + index - 1  # both sides share the seed; rounds differ
    variants = (options.a, options.b)
    if options.side_by_side:
        data, interrupted = await side_by_side(variants, root, seed, stop)
    else:
        data, interrupted = await alternating(variants, index, root, seed, stop)
    if interrupted:
        return RoundData({}, {}, {}, {}, {}), RoundData({}, {}, {}, {}, {}), True
    return data[0], data[1], False


async def run_ab(options: AbOptions, on_round: Callable[[int, dict[str, Any]], None],
                 stop: asyncio.Event) -> AbOutcome:
    started = time.monotonic()
    sampler = NoiseSampler()
    noise_task = asyncio.ensure_future(sampler.run())
    rounds_a: list[RoundData] = []
    rounds_b: list[RoundData] = []
    result: dict[str, Any] = {}
    interrupted = False
    try:
        index = 0
        while True:
            index += 1
            round_started = time.monotonic()
            a, b, interrupted = await run_round(options, index, stop)
            if interrupted:
                break
            rounds_a.append(a)
            rounds_b.append(b)
            result = await asyncio.to_thread(gate, rounds_a, rounds_b, options.rules,
                                             options.strict, options.side_by_side)
            on_round(index, result)
            if not another_round(options, index, result, started,
                                  time.monotonic() - round_started):
                break
    finally:
        noise_task.cancel()
    spread = round_spread(rounds_a, rounds_b)
    result = {"schema": AB_SCHEMA, "version": 1, **result,
              "scenario": options.a.scenario.to_dict(),
              "variants": [options.a.describe(), options.b.describe()],
              "mode": "side by side" if options.side_by_side else "alternating",
              "seed": options.seed, "wall_seconds": round(time.monotonic() - started, 3),
              "interrupted": interrupted,
              "noise": summarize_noise(sampler.readings, os.cpu_count(), spread)}
    return AbOutcome(result, interrupted)


def another_round(options: AbOptions, index: int, result: dict[str, Any], started: float,
                   last_round: float) -> bool:
    if index < options.rounds:
        return True
    if options.budget is None or result.get("verdict") != "inconclusive":
        return False
    return time.monotonic() - started + last_round <= options.budget
