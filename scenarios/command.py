"""The body of `sim run`: resolve the scenario and policy, run, write, summarize.

Kept out of cli.py so the CLI stays thin; returns the exit code.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.live import Live

from bff.overrides import build_policy_from, parse_assignment
from bff.policyset import PolicySet, preset
from reports.outputs import write_outputs
from reports.live import LiveSnapshot, live_view
from reports.terminal import full_report
from scenarios.model import Scenario
from scenarios.run import RunOptions, run_scenario
from sim.errors import ConfigError

EXIT_PASS, EXIT_BREACH, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class RunRequest:
    scenario: Scenario
    policies: tuple[str, ...]  # empty: the scenario's own policy
    assignments: tuple[str, ...]
    seed: int | None
    out: Path | None
    processes: int
    target: str | None


def resolve_policy(scenario: Scenario, name: str | None,
                   assignments: tuple[str, ...]) -> PolicySet:
    base = scenario.policy() if name is None else preset(name)
    extra = dict(parse_assignment(text) for text in assignments)
    return build_policy_from(base, extra, "--set")


def default_out(scenario: Scenario, policy: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{stamp}-{scenario.name}-{policy}"


def check_out_dir(out: Path) -> Path:
    if any(part == ".." for part in out.parts):
        raise ConfigError("--out", f"{out} must not contain '..'")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ConfigError("--out", f"{out} is not a writable directory ({exc.strerror})"
                          ) from None
    return out


def check_target(target: str | None) -> None:
    if target is not None and not re.match(r"^https?://[^/\s]+(:\d+)?/?$", target):
        raise ConfigError("--target", f"expected the BFF's base URL such as "
                                      f"http://127.0.0.1:9000, got {target!r}")


async def _run_one(options: RunOptions, console: Console) -> tuple[dict[str, object], bool]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        with Live(console=console, auto_refresh=False, transient=True) as live:
            def tick(snapshot: LiveSnapshot) -> None:
                live.update(live_view(snapshot), refresh=True)

            outcome = await run_scenario(options, tick, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return outcome.report, outcome.interrupted


def run_command(request: RunRequest, console: Console) -> int:
    from sim import aio

    check_target(request.target)
    names: tuple[str | None, ...] = request.policies or (None,)
    policies = [resolve_policy(request.scenario, name, request.assignments) for name in names]
    seed = request.seed if request.seed is not None else request.scenario.seed
    code = EXIT_PASS
    for policy in policies:
        out = request.out if request.out is not None else default_out(request.scenario,
                                                                       policy.name)
        if len(policies) > 1 and request.out is not None:
            out = request.out / policy.name
        out = check_out_dir(out)
        options = RunOptions(request.scenario, policy, out, seed, request.processes,
                             request.target)
        report, interrupted = aio.run(_run_one(options, console))
        write_outputs(out, report)
        console.print(full_report(report))
        console.print(f"report: {out / 'report.json'} (also report.html, report.md, "
                      f"junit.xml, locust.html)", style="dim")
        if interrupted:
            return EXIT_INTERRUPTED
        if not report["passed"]:
            code = EXIT_BREACH
    return code
