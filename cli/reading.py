"""Reading: `sim report` (a run's report again), `sim history` and `sim scenarios`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import console, user_errors
from sim import aio
from sim.options import MAX_HISTORY, check_range


def report(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="a run directory or its "
                                                                "report.json")],
    write: Annotated[bool, typer.Option(help="re-write report.html, report.md, junit.xml")
                     ] = False,
) -> None:
    """Show a run's report again from its report.json (and re-render its files)."""
    from reports.files import read_report
    from reports.outputs import write_outputs
    from reports.terminal import full_report

    with user_errors():
        data = read_report(run_dir)
        console.print(full_report(data))
        if write:
            out = run_dir if run_dir.is_dir() else run_dir.parent
            write_outputs(out, data, with_json=False)
            console.print(f"wrote {out}/report.html, report.md, junit.xml", style="dim")


def history(
    scenario: Annotated[str | None, typer.Option(help="only this scenario")] = None,
    limit: Annotated[int, typer.Option(help="newest N runs")] = 20,
) -> None:
    """Past runs recorded in .sim/history.db."""
    from reports.history import DEFAULT_DB, list_runs
    from reports.history_view import history_table

    with user_errors():
        check_range("--limit", limit, 1, MAX_HISTORY)
        console.print(history_table(aio.run(list_runs(DEFAULT_DB, scenario, limit))))


def scenarios_list() -> None:
    """The built-in scenarios, with tags and what each teaches."""
    from scenarios.loader import list_builtins
    from scenarios.views import catalogue_table

    with user_errors():
        console.print(catalogue_table(list_builtins()))


def scenarios_show(name: Annotated[str, typer.Argument(help="built-in name or .toml")]) -> None:
    """A scenario's phases, faults, load, policy and SLOs."""
    from scenarios.loader import load_scenario
    from scenarios.views import scenario_view

    with user_errors():
        console.print(scenario_view(load_scenario(name)))


def scenarios_validate(files: Annotated[list[Path], typer.Argument(help=".toml files")]) -> None:
    """Check scenario files; exit 2 with one line per problem if any is invalid."""
    from scenarios.loader import validate_file

    with user_errors():
        for path in files:
            scenario = validate_file(path)
            console.print(f"{path}: ok ({scenario.name}, {len(scenario.phases)} phases, "
                          f"{len(scenario.slos)} SLOs)")


def scenarios_schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    import json

    from scenarios.schema import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))

