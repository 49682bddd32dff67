"""The bodies of `sim run` and `sim smoke`: resolve scenario, policy and baseline (all
before the load starts), run, write the files as one set, record history, summarize.
Returns the exit code."""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape

from bff.overrides import build_policy_from, parse_assignment
from bff.policyset import PolicySet, preset
from reports.baseline import compare
from reports.build import RunInputs, build_report
from reports.comparison import comparison_html, comparison_markdown, comparison_table
from reports.files import read_report, write_text_atomic
from reports.history import DEFAULT_DB, last_pass, mark_interrupted_run, record_run
from reports.live import LiveSnapshot, live_view
from reports.outputs import mark_interrupted, write_outputs
from reports.terminal import baseline_table, full_report
from scenarios.interrupt import Interruption, install
from scenarios.model import Scenario
from scenarios.outdir import check_out_dir, claim, default_out
from scenarios.run import FREE, RunOptions, run_scenario
from sim import DEFAULT_PORTS
from sim.errors import ConfigError

EXIT_PASS, EXIT_BREACH, EXIT_USAGE = 0, 1, 2  # usage errors raise; signals 128 + signal
NO_PASS_YET = {"checks": [], "passed": True,
               "notes": ["no passing run of this scenario and policy in the history yet: "
                         "nothing to compare"]}


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
    force: bool = False  # replace runs already in --out
    ports: tuple[tuple[str, int], ...] = ()  # --products-port etc. given; 0 = a free one
    ports_file: Path | None = None
    target_wait: float = 30.0  # seconds
    kind: str = "run"  # in the history: "smoke" runs are never a last-pass for "run"s

    def chosen_ports(self) -> dict[str, int]:
        """An external BFF is configured for the book's ports, ours can use free ones;
        the port options override either."""
        return {**(DEFAULT_PORTS if self.target else FREE), **dict(self.ports)}

    def policy_name(self, policy: PolicySet) -> str:
        """The name a report (and the history) gives the run's policy."""
        return "external" if self.target else policy.name


@dataclass
class Finished:
    """One run whose report set is written (and recorded in the history unless it was
    interrupted: `row` is then None)."""
    out: Path
    report: dict[str, Any]
    row: int | None


def resolve_policy(scenario: Scenario, name: str | None,
                   assignments: tuple[str, ...]) -> PolicySet:
    base = scenario.policy() if name is None else preset(name)
    extra = dict(parse_assignment(text) for text in assignments)
    return build_policy_from(base, extra, "--set")


def check_target(target: str | None, option: str = "--target") -> None:
    if target is not None and not re.match(r"^https?://[^/\s]+(:\d+)?/?$", target):
        raise ConfigError(option, f"expected the BFF's base URL such as "
                                      f"http://127.0.0.1:9000, got {target!r}")


def load_baseline(spec: str, scenario: Scenario, policy: str, history: Path,
                  kind: str = "run") -> dict[str, Any] | None:
    """Read before the load starts, so a typo costs a second, not the run. None: no
    passing run of this kind, scenario, policy and length in the history yet (last-pass)."""
    from sim import aio

    if spec == "last-pass":
        path = aio.run(last_pass(history, scenario.name, policy, kind, scenario.duration))
        base = None if path is None else read_report(path)
    else:
        try:
            base = read_report(Path(spec))
        except ConfigError as exc:
            raise ConfigError("--baseline", exc.one_line()) from None
    if base is not None:
        try:
            compare(base, base)  # the shape the comparison needs, checked now
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError("--baseline", f"{spec} is not a report sim can compare with "
                                            f"({type(exc).__name__}: {exc})") from None
    return base


def judge(base: dict[str, Any] | None, report: dict[str, Any]) -> None:
    """The baseline verdict into `report`; whatever happens, the report keeps its own."""
    if base is None:
        report["baseline"] = {**NO_PASS_YET}
        return
    try:
        report["baseline"] = compare(base, report)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        report["baseline"] = {"checks": [], "passed": False,
                              "notes": [f"the baseline could not be compared: {exc!r}"]}
    report["passed"] = report["passed"] and report["baseline"]["passed"]


async def _run_one(options: RunOptions, console: Console, interruption: Interruption
                   ) -> dict[str, Any]:
    stop = asyncio.Event()
    with interruption.waking(stop), \
            Live(console=console, auto_refresh=False, transient=False) as live:
        def tick(snapshot: LiveSnapshot) -> None:
            live.update(live_view(snapshot), refresh=True)

        outcome = await run_scenario(options, tick, stop)
    return outcome.report


def execute(scenario: Scenario, policy: PolicySet, out: Path, seed: int, request: RunRequest,
            console: Console, base: dict[str, Any] | None) -> Finished:
    """One run: report.json and its renderings in `out`, history, baseline verdicts. A
    signal at any point up to here marks the report interrupted."""
    from sim import aio

    interruption = install()
    options = RunOptions(scenario, policy, out, seed, request.processes, request.target,
                         request.chosen_ports(), request.ports_file, request.target_wait)
    report = (not_started(options) if interruption.interrupted
              else aio.run(_run_one(options, console, interruption)))
    if interruption.interrupted:  # also when it came after the load, while reporting
        mark_interrupted(report, interruption.name)
    if request.baseline and not report["interrupted"]:
        judge(base, report)
    write_outputs(out, report)
    row = None
    if not report["interrupted"]:
        row = aio.run(record_run(request.history, report, str((out / "report.json").resolve()),
                                 request.kind))
    return Finished(out, report, row)


def not_started(options: RunOptions) -> dict[str, Any]:
    """The report of a run stopped before its load started: interrupted, nothing measured."""
    nothing: dict[str, Any] = {"armed_at": None, "samples": [], "workers": 0}
    return build_report(RunInputs(
        scenario=options.scenario, policy=options.policy, seed=options.seed,
        target=options.target, processes=options.processes, started_at=time.time(),
        wall_seconds=0.0, samples=nothing, counters={}, events=[], counter_series=[],
        locust_exit_code=None, locust_stderr="", interrupted=True, bff_state=None))


def show(finished: Finished, console: Console) -> None:
    console.print(full_report(finished.report))
    if "baseline" in finished.report:
        console.print(baseline_table(finished.report["baseline"]))
    console.print(f"report: {finished.out / 'report.json'} (also report.html, report.md, "
                  f"junit.xml, locust.html)", style="dim")


def last_look(finished: list[Finished], history: Path, code: int, console: Console) -> int:
    """The exit code, decided once: a signal that came after the last report set was
    written still marks that set (and its history row) interrupted, so the files and the
    exit code always agree. A signal after this look changes nothing."""
    from sim import aio

    interruption = install()
    if not interruption.interrupted:
        return code
    if finished and not finished[-1].report["interrupted"]:
        last = finished[-1]
        mark_interrupted(last.report, interruption.name)
        write_outputs(last.out, last.report)
        if last.row is not None:
            aio.run(mark_interrupted_run(history, last.row))
    console.print(f"interrupted ({interruption.name})")
    return interruption.exit_code


def target_verdict(report: dict[str, Any], console: Console) -> int | None:
    """One loud line for a run against an external BFF that measured nothing: exit 2 if
    it never called the simulator (a set-up error), 1 if it answered only errors."""
    if report.get("setup_error"):
        console.print(f"[bold red]error:[/] {escape(report['setup_error'])}", highlight=False)
        return EXIT_USAGE
    failed = [p for p in report["problems"] if p.startswith("every page request")]
    if report.get("target") and failed:
        console.print(f"[bold red]error:[/] {escape(failed[0])}", highlight=False)
        return EXIT_BREACH
    return None


def run_command(request: RunRequest, console: Console) -> int:
    install()
    check_target(request.target)
    names: tuple[str | None, ...] = request.policies or (None,)
    policies = [resolve_policy(request.scenario, name, request.assignments) for name in names]
    seed = request.seed if request.seed is not None else request.scenario.seed
    bases = {p.name: load_baseline(request.baseline, request.scenario,
                                   request.policy_name(p), request.history, request.kind)
             for p in policies} \
        if request.baseline else {}
    several = len(policies) > 1
    root = request.out or default_out(request.scenario.name,
                                      None if several else policies[0].name)
    dirs = [root / p.name for p in policies] if several else [root]
    lock = claim(root, dirs, request.force)
    try:
        return _run_policies(request, policies, dirs, seed, bases, console)
    finally:
        os.close(lock)


def _run_policies(request: RunRequest, policies: list[PolicySet], dirs: list[Path], seed: int,
                  bases: dict[str, dict[str, Any] | None], console: Console) -> int:
    finished: list[Finished] = []
    code = EXIT_PASS
    for policy, out in zip(policies, dirs, strict=True):
        if finished and install().interrupted:  # the first run reports it, even unstarted
            break
        done = execute(request.scenario, policy, check_out_dir(out), seed, request, console,
                       bases.get(policy.name))
        show(done, console)
        finished.append(done)
        if done.report["interrupted"]:
            break
        code = max(code, target_verdict(done.report, console) or
                   (EXIT_PASS if done.report["passed"] else EXIT_BREACH))
    if len(policies) > 1 and len(finished) == len(policies) and not install().interrupted:
        reports, root = [done.report for done in finished], dirs[0].parent
        console.print(comparison_table(reports))
        write_text_atomic(root / "comparison.md", comparison_markdown(reports))
        write_text_atomic(root / "comparison.html", comparison_html(reports))
        console.print(f"comparison: {root / 'comparison.html'}", style="dim")
    return last_look(finished, request.history, code, console)
