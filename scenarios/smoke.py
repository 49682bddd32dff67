"""`sim smoke`: the smoke-tagged built-ins, shortened, under their own policies; one
junit.xml and summary for CI; exit 1 on any SLO or baseline breach."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from reports.baseline import compare
from reports.files import write_json_atomic, write_text_atomic
from reports.history import DEFAULT_DB
from reports.junit import render_junit
from reports.markdown import render_markdown, rollup_markdown
from reports.slo import status_of
from scenarios.command import (
    EXIT_BREACH,
    EXIT_PASS,
    Finished,
    RunRequest,
    check_target,
    execute,
    last_look,
    target_verdict,
)
from scenarios.interrupt import install
from scenarios.loader import list_builtins
from scenarios.model import Scenario
from scenarios.outdir import check_out_dir, claim
from scenarios.target import ExternalTarget
from sim.errors import ConfigError
from sim.views import plain_row

BASELINE_SCHEMA = "bff-sim/smoke-baseline"


def read_smoke_baseline(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError("--baseline", "does not exist (create it with --update-baseline)",
                          source=str(path)) from None
    except (OSError, ValueError) as exc:
        raise ConfigError("--baseline", f"not readable JSON ({exc})", source=str(path)
                          ) from None
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA:
        raise ConfigError("schema", f"not a smoke baseline ({BASELINE_SCHEMA})",
                          source=str(path))
    try:
        for report in data["reports"].values():
            compare(report, report)  # the shape the comparison needs, checked now
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError("reports", f"not reports sim can compare with "
                                     f"({type(exc).__name__}: {exc})", source=str(path)
                          ) from None
    return data


def smoke_command(out: Path, per_scenario: float, baseline: Path | None, update: bool,
                  console: Console, force: bool = False,
                  external: ExternalTarget | None = None) -> int:
    external = external or ExternalTarget()
    check_target(external.url)
    scenarios = [s for s in list_builtins() if "smoke" in s.tags]
    if not scenarios:
        raise ConfigError("scenarios", "no built-in scenario is tagged smoke")
    stored = read_smoke_baseline(baseline) if baseline and not update else None
    lock = claim(out, [out, *(out / s.name for s in scenarios)], force)
    try:
        return _smoke(out, scenarios, per_scenario, stored, baseline if update else None,
                      console, external)
    finally:
        os.close(lock)


def _smoke(out: Path, scenarios: list[Scenario], per_scenario: float,
           stored: dict[str, Any] | None, update: Path | None, console: Console,
           external: ExternalTarget) -> int:
    finished: list[Finished] = []
    code = EXIT_PASS
    ports = external.ports
    for scenario in scenarios:
        if finished and install().interrupted:  # the first run reports it, even unstarted
            break
        shortened = scenario.with_duration(min(scenario.duration, per_scenario))
        run_dir = check_out_dir(out / scenario.name)
        base = None if stored is None else stored["reports"].get(scenario.name)
        request = RunRequest(shortened, (), (), None, run_dir, 0, external.url,
                             "smoke baseline" if base is not None else None, ports=ports,
                             ports_file=external.ports_file, target_wait=external.wait,
                             kind="smoke")
        done = execute(shortened, shortened.policy(), run_dir, shortened.seed, request,
                       console, base)
        report = done.report
        finished.append(done)
        if external.url:  # the BFF under test was configured once: same ports every run
            ports = tuple(report.get("ports", {}).items())
        console.print(f"{scenario.name}: {'passed' if report['passed'] else 'FAILED'}",
                      style="green" if report["passed"] else "bold red")
        if report["interrupted"]:
            break
        console.print(failed_checks(report))
        code = max(code, target_verdict(report, console) or
                   (EXIT_PASS if report["passed"] else EXIT_BREACH))
    reports = [done.report for done in finished]
    write_summary(out, reports)
    console.print(smoke_table(reports))
    if update is not None and len(reports) == len(scenarios) and not install().interrupted:
        write_json_atomic(update, {"schema": BASELINE_SCHEMA,
                                   "reports": {r["scenario"]["name"]: r for r in reports}})
        console.print(f"baseline written: {update}")
    result = last_look(finished, DEFAULT_DB, code, console)
    if result != code:  # the last report was marked interrupted just now
        write_summary(out, reports)
    return result


def write_summary(out: Path, reports: list[dict[str, Any]]) -> None:
    write_text_atomic(out / "junit.xml", render_junit(reports))
    # A blank line after each report: its last table must end before the next heading.
    write_text_atomic(out / "summary.md", rollup_markdown(reports) + "\n" +
                      "\n".join(render_markdown(r) for r in reports))


def failed_checks(report: dict[str, Any]) -> Text:
    """What failed and why, under the scenario's verdict line (empty when it passed)."""
    text = Text()
    for problem in report.get("problems", []):
        text.append(f"  ! {problem}\n", style="yellow")
    checks = [*report["slos"], *report.get("baseline", {}).get("checks", [])]
    for check in checks:
        if status_of(check) == "fail":
            text.append("  FAIL ", style="bold red")
            text.append(f"{check['rule']}\n")
    text.rstrip()
    return text


def smoke_table(reports: list[dict[str, Any]]) -> Table:
    table = Table(title="sim smoke", title_justify="left")
    for column in ("scenario", "policy", "requests", "p95 ms", "failed %", "SLOs",
                   "baseline", "verdict"):
        table.add_column(column)
    for report in reports:
        overall = report["client"]["overall"]
        base = report.get("baseline")
        plain_row(table, report["scenario"]["name"], report["policy"]["name"],
                      str(overall["requests"]), f"{overall['p95'] * 1000:.0f}",
                      f"{overall['error_ratio'] * 100:.1f}",
                      f"{sum(v['passed'] for v in report['slos'])}/{len(report['slos'])}",
                      "-" if not base else
                      f"{sum(c['passed'] for c in base['checks'])}/{len(base['checks'])}",
                      "pass" if report["passed"] else "FAIL",
                      style=None if report["passed"] else "red")
    return table
