"""The bodies of `sim run` and `sim smoke`: resolve scenario and policy, run, write the
files, record history, compare with a baseline, summarize. Returns the exit code."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from bff.overrides import build_policy_from, parse_assignment
from bff.policyset import PolicySet, preset
from reports.baseline import compare
from reports.comparison import comparison_html, comparison_markdown, comparison_table
from reports.files import read_report, write_text_atomic
from reports.history import DEFAULT_DB, last_pass, record_run
from reports.live import LiveSnapshot, live_view
from reports.outputs import write_outputs
from reports.terminal import baseline_table, full_report
from scenarios.model import Scenario
from scenarios.run import FREE, RunOptions, run_scenario
from sim import DEFAULT_PORTS
from sim.errors import ConfigError

EXIT_PASS, EXIT_BREACH, EXIT_INTERRUPTED = 0, 1, 130  # usage errors exit 2 in cli.py


@dataclass(frozen=True)
class RunRequest:
    scenario: Scenario
    policies: tuple[str, ...]  # empty: the scenario's own policy
    assignments: tuple[str, ...]
    seed: int | None
    out: Path | None
    processes: int
    target: str | None
    baseline: str | None = None  # a report.json (or run dir), or "last-pass"
    history: Path = DEFAULT_DB


def resolve_policy(scenario: Scenario, name: str | None,
                   assignments: tuple[str, ...]) -> PolicySet:
    base = scenario.policy() if name is None else preset(name)
    extra = dict(parse_assignment(text) for text in assignments)
    return build_policy_from(base, extra, "--set")


def default_out(scenario: Scenario, policy: str | None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("results") / (f"{stamp}-{scenario.name}" + (f"-{policy}" if policy else ""))


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


def load_baseline(spec: str, scenario: str, policy: str, history: Path
                  ) -> dict[str, Any] | None:
    if spec == "last-pass":
        from sim import aio

        path = aio.run(last_pass(history, scenario, policy))
        return None if path is None else read_report(path)
    return read_report(Path(spec))


async def _run_one(options: RunOptions, console: Console) -> tuple[dict[str, Any], bool]:
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


def execute(scenario: Scenario, policy: PolicySet, out: Path, seed: int, request: RunRequest,
            console: Console) -> tuple[dict[str, Any], bool]:
    """One run: report.json and its renderings in `out`, history, baseline verdicts."""
    from sim import aio

    # An external BFF is configured for the book's ports; our own BFF can use free ones.
    ports = dict(DEFAULT_PORTS) if request.target else dict(FREE)
    options = RunOptions(scenario, policy, out, seed, request.processes, request.target, ports)
    report, interrupted = aio.run(_run_one(options, console))
    if request.baseline and not interrupted:
        base = load_baseline(request.baseline, scenario.name, policy.name, request.history)
        if base is None:
            report["baseline"] = {"checks": [], "passed": True,
                                  "notes": ["no passing run of this scenario and policy in "
                                            "the history yet: nothing to compare"]}
        else:
            report["baseline"] = compare(base, report)
            report["passed"] = report["passed"] and report["baseline"]["passed"]
    write_outputs(out, report)
    if not interrupted:
        aio.run(record_run(request.history, report, str((out / "report.json").resolve())))
    return report, interrupted


def run_command(request: RunRequest, console: Console) -> int:
    check_target(request.target)
    names: tuple[str | None, ...] = request.policies or (None,)
    policies = [resolve_policy(request.scenario, name, request.assignments) for name in names]
    seed = request.seed if request.seed is not None else request.scenario.seed
    several = len(policies) > 1
    root = request.out or default_out(request.scenario, None if several else policies[0].name)
    reports, code = [], EXIT_PASS
    for policy in policies:
        out = check_out_dir(root / policy.name if several else root)
        report, interrupted = execute(request.scenario, policy, out, seed, request, console)
        console.print(full_report(report))
        if "baseline" in report:
            console.print(baseline_table(report["baseline"]))
        console.print(f"report: {out / 'report.json'} (also report.html, report.md, "
                      f"junit.xml, locust.html)", style="dim")
        if interrupted:
            return EXIT_INTERRUPTED
        reports.append(report)
        if not report["passed"]:
            code = EXIT_BREACH
    if several:
        console.print(comparison_table(reports))
        write_text_atomic(root / "comparison.md", comparison_markdown(reports))
        write_text_atomic(root / "comparison.html", comparison_html(reports))
        console.print(f"comparison: {root / 'comparison.html'}", style="dim")
    return code
