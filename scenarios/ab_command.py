"""The body of `sim ab`: build the two variants, run the rounds, write ab.json and ab.md,
print the verdict. Returns the exit code (0 pass, 1 regression, 128 + signal when
interrupted: 130 for Ctrl-C, with ab.json and ab.md then covering the rounds completed)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from reports.files import write_json_atomic, write_text_atomic
from reports.gate_render import gate_markdown, gate_table
from scenarios.ab import AbOptions, mark_ab_interrupted, run_ab
from scenarios.ab_round import Variant
from scenarios.ab_targets import TargetSetup
from scenarios.command import EXIT_BREACH, EXIT_PASS, check_target, resolve_policy
from scenarios.gate_rules import GateRules, parse_allow_options
from scenarios.interrupt import Interruption
from scenarios.model import Scenario
from scenarios.outdir import check_out_dir, default_out
from sim.errors import ConfigError
from sim.options import check_out_file

TARGETS = "--target-a/--target-b"


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
    targets: TargetSetup = field(default_factory=TargetSetup)  # two external BFFs


def check_targets(request: AbRequest) -> None:
    """Two external BFFs or none; their URLs; the options only they use."""
    if (request.target_a is None) != (request.target_b is None):
        raise ConfigError(TARGETS, "give both (two external BFFs) or neither (two "
                                   "configurations of ours)")
    check_target(request.target_a, "--target-a")
    check_target(request.target_b, "--target-b")
    external = request.target_a is not None
    given = [f"--{name}-port" for name, _ in request.targets.ports]
    given += ["--ports-file"] if request.targets.ports_file else []
    if given and not external:
        raise ConfigError(given[0], f"only with {TARGETS}: side by side, both simulators "
                                    f"take free ports")
    for side, policy, knobs in (("a", request.policy_a, request.set_a),
                                ("b", request.policy_b, request.set_b)):
        if external and (policy is not None or knobs):
            raise ConfigError(f"--policy-{side}" if policy is not None else f"--set-{side}",
                              f"an external BFF (--target-{side}) runs its own policies: "
                              f"drop --policy-{side} and --set-{side}")
    check_out_file("--ports-file", request.targets.ports_file)


def build_options(request: AbRequest, scenario_b: Scenario | None = None) -> AbOptions:
    """Checks the request (ConfigError on bad usage) and resolves both variants.
    `scenario_b` lets a benchmark give B other faults than A (same phases)."""
    check_targets(request)
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
    return AbOptions(a, b, out, seed, request.rounds, request.budget, rules, request.strict,
                     request.targets)


async def _run(options: AbOptions, console: Console, interruption: Interruption
               ) -> dict[str, Any]:
    stop = asyncio.Event()

    def progress(index: int, result: dict[str, Any]) -> None:
        undecided = sum(c["verdict"] == "inconclusive" for c in result["checks"])
        console.print(f"round {index}: {result['verdict']} ({undecided} of "
                      f"{len(result['checks'])} checks inconclusive)", style="dim")

    with interruption.waking(stop):
        outcome = await run_ab(options, progress, stop)
    return outcome.result


def _write(options: AbOptions, result: dict[str, Any]) -> None:
    write_json_atomic(options.out / "ab.json", result)
    title = f"{options.a.scenario.name} A/B" + (" (interrupted)" if result["interrupted"]
                                                 else "")
    write_text_atomic(options.out / "ab.md", gate_markdown(result, title))


def _side(variant: Variant) -> str:
    return variant.policy_name + (f" at {variant.target}" if variant.target else "")


def ab_command(request: AbRequest, console: Console, scenario_b: Scenario | None = None,
               interruption: Interruption | None = None) -> int:
    """`interruption`: the process's, installed by `sim ab` from its first moment, so a
    signal at any moment reports the rounds so far. None (a benchmark or a test calling
    this in its own process): signals are left to that process."""
    from sim import aio

    interruption = interruption or Interruption()
    options = build_options(request, scenario_b)
    mode = "side by side, half the users each" if options.side_by_side else "alternating"
    console.print(f"sim ab: {options.a.scenario.name}, A = {_side(options.a)}, B = "
                  f"{_side(options.b)}; rounds of {options.a.scenario.duration:g} s {mode}",
                  style="dim")
    result = aio.run(_run(options, console, interruption))
    if interruption.interrupted:  # also when it came after the rounds, while judging
        mark_ab_interrupted(result, interruption.name)
    _write(options, result)
    console.print(gate_table(result))
    for problem in result.get("problems", []):
        console.print(f"[bold red]error:[/] {escape(problem)}", highlight=False)
    console.print(f"ab: {options.out / 'ab.json'} (also ab.md; each round's reports in "
                  f"round-N/a, round-N/b)", style="dim")
    return last_look(options, result, console, interruption)


def last_look(options: AbOptions, result: dict[str, Any], console: Console,
              interruption: Interruption) -> int:
    """The exit code, decided once, so that ab.json and the exit code always agree: a
    signal that came while the files were written marks them interrupted."""
    if interruption.interrupted and not result["interrupted"]:
        mark_ab_interrupted(result, interruption.name)
        _write(options, result)
    if interruption.interrupted:
        console.print(f"interrupted ({interruption.name}): ab.json covers the "
                      f"{result['rounds']['a']} round(s) completed")
        return interruption.exit_code
    return EXIT_PASS if result["passed"] else EXIT_BREACH
