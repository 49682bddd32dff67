"""The body of `sim ab`: build the two variants, run the rounds, write ab.json and ab.md,
print the verdict. Returns the exit code (0 pass, 1 regression, 130 interrupted)."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from reports.files import write_json_atomic, write_text_atomic
from reports.gate_render import gate_markdown, gate_table
from scenarios.ab import AbOptions, run_ab
from scenarios.ab_round import Variant
from scenarios.command import EXIT_BREACH, EXIT_PASS, check_target, resolve_policy
from scenarios.gate_rules import GateRules, parse_allow_options
from scenarios.model import Scenario
from scenarios.outdir import check_out_dir, default_out
from sim.errors import ConfigError

EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM: no verdict


@dataclass(frozen=True)
class AbRequest:
    scenario: Scenario
    policy_a: str | None = None
    policy_b: str | None = None
    set_a: tuple[str, ...] = ()
    set_b: tuple[str, ...] = ()
    target_a: str | None = None
    target_b: str | None = None
    seed: int | None = None
    out: Path | None = None
    rounds: int = 3
    budget: float | None = None
    allow: tuple[str, ...] = ()
    strict: bool = False


def build_options(request: AbRequest, scenario_b: Scenario | None = None) -> AbOptions:
    """Checks the request (ConfigError on bad usage) and resolves both variants.
    `scenario_b` lets a benchmark give B other faults than A (same phases)."""
    if (request.target_a is None) != (request.target_b is None):
        raise ConfigError("--target-a/--target-b", "give both (two external BFFs) or "
                                                   "neither (two configurations of ours)")
    check_target(request.target_a)
    check_target(request.target_b)
    if request.rounds < 1:
        raise ConfigError("--rounds", f"must be at least 1, got {request.rounds}")
    scenario = request.scenario
    rules: GateRules = parse_allow_options(scenario.gate, request.allow)
    a = Variant("A", scenario, resolve_policy(scenario, request.policy_a, request.set_a),
                request.target_a)
    b_scenario = scenario_b or scenario
    b = Variant("B", b_scenario, resolve_policy(b_scenario, request.policy_b, request.set_b),
                request.target_b)
    seed = request.seed if request.seed is not None else scenario.seed
    out = check_out_dir(request.out or default_out(scenario.name, "ab"))
    return AbOptions(a, b, out, seed, request.rounds, request.budget, rules, request.strict)


async def _run(options: AbOptions, console: Console) -> tuple[dict[str, Any], bool]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def progress(index: int, result: dict[str, Any]) -> None:
        undecided = sum(c["verdict"] == "inconclusive" for c in result["checks"])
        console.print(f"round {index}: {result['verdict']} ({undecided} of "
                      f"{len(result['checks'])} checks inconclusive)", style="dim")

    try:
        outcome = await run_ab(options, progress, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return outcome.result, outcome.interrupted


def ab_command(request: AbRequest, console: Console,
               scenario_b: Scenario | None = None) -> int:
    from sim import aio

    options = build_options(request, scenario_b)
    mode = "side by side, half the users each" if options.side_by_side else "alternating"
    console.print(f"sim ab: {options.a.scenario.name}, A = {options.a.policy.name}"
                  f"{' at ' + options.a.target if options.a.target else ''}, B = "
                  f"{options.b.policy.name}"
                  f"{' at ' + options.b.target if options.b.target else ''}; rounds of "
                  f"{options.a.scenario.duration:g} s {mode}", style="dim")
    result, interrupted = aio.run(_run(options, console))
    if interrupted:
        console.print("interrupted: no verdict")
        return EXIT_INTERRUPTED
    write_json_atomic(options.out / "ab.json", result)
    write_text_atomic(options.out / "ab.md",
                      gate_markdown(result, f"{options.a.scenario.name} A/B"))
    console.print(gate_table(result))
    console.print(f"ab: {options.out / 'ab.json'} (also ab.md; each round's reports in "
                  f"round-N/a, round-N/b)", style="dim")
    return EXIT_PASS if result["passed"] else EXIT_BREACH
