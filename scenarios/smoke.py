"""`sim smoke`: the smoke-tagged built-ins, shortened, under their own policies; one
junit.xml and summary for CI; exit 1 on any SLO or baseline breach."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from reports.files import write_json_atomic, write_text_atomic
from reports.junit import render_junit
from reports.markdown import render_markdown
from scenarios.command import (
    EXIT_BREACH,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    RunRequest,
    check_out_dir,
    execute,
)
from scenarios.loader import list_builtins
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
    if data.get("schema") != BASELINE_SCHEMA:
        raise ConfigError("schema", f"not a smoke baseline ({BASELINE_SCHEMA})",
                          source=str(path))
    return data


def smoke_command(out: Path, per_scenario: float, baseline: Path | None, update: bool,
                  console: Console) -> int:
    scenarios = [s for s in list_builtins() if "smoke" in s.tags]
    if not scenarios:
        raise ConfigError("scenarios", "no built-in scenario is tagged smoke")
    stored = read_smoke_baseline(baseline) if baseline and not update else None
    out = check_out_dir(out)
    reports, code = [], EXIT_PASS
    for scenario in scenarios:
        shortened = scenario.with_duration(min(scenario.duration, per_scenario))
        run_dir = check_out_dir(out / scenario.name)
        base_file = None
        if stored is not None and scenario.name in stored["reports"]:
            base_file = run_dir / "baseline.json"
            write_json_atomic(base_file, stored["reports"][scenario.name])
        request = RunRequest(shortened, (), (), None, run_dir, 0, None,
                             str(base_file) if base_file else None)
        report, interrupted = execute(shortened, shortened.policy(), run_dir, shortened.seed,
                                      request, console)
        console.print(f"{scenario.name}: {'passed' if report['passed'] else 'FAILED'}",
                      style="green" if report["passed"] else "bold red")
        if interrupted:
            return EXIT_INTERRUPTED
        reports.append(report)
        if not report["passed"]:
            code = EXIT_BREACH
    write_text_atomic(out / "junit.xml", render_junit(reports))
    write_text_atomic(out / "summary.md", "".join(render_markdown(r) for r in reports))
    console.print(smoke_table(reports))
    if update and baseline is not None:
        write_json_atomic(baseline, {"schema": BASELINE_SCHEMA,
                                     "reports": {r["scenario"]["name"]: r for r in reports}})
        console.print(f"baseline written: {baseline}")
    return code


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
