"""Rich views of scenarios for `sim scenarios list|show` (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scenarios.model import Scenario
from sim.durations import format_duration
from sim.views import describe_faults, plain_row


def catalogue_table(scenarios: Sequence[Scenario]) -> Table:
    table = Table(title="built-in scenarios", title_justify="left")
    for column in ("name", "tags", "duration", "users", "what it teaches"):
        table.add_column(column)
    for scenario in scenarios:
        plain_row(table, scenario.name, ", ".join(scenario.tags),
                      format_duration(scenario.duration), str(scenario.load.users),
                      Text(scenario.description))
    return table


def scenario_view(scenario: Scenario) -> Group:
    head = Text.assemble((scenario.name, "bold"), f" ({scenario.source}) · seed "
                         f"{scenario.seed} · policy {scenario.policy_preset}")
    if scenario.policy_overrides:
        head.append(" · " + ", ".join(f"{k}={v}" for k, v in scenario.policy_overrides))
    head.append(f"\n{scenario.description}\n", style="italic")
    head.append(f"load: {scenario.load.users} users, spawn {scenario.load.spawn_rate:g}/s, "
                f"think {format_duration(scenario.load.think_min)}.."
                f"{format_duration(scenario.load.think_max)}")
    phases = Table(title="phases", title_justify="left")
    for column in ("phase", "duration", "users", "faults"):
        phases.add_column(column)
    for phase in scenario.phases:
        faults = "; ".join(
            f"{service}: {describe_faults({'faults': [f.to_spec() for f in items]})}"
            for service, items in phase.phase.faults.items()) or "-"
        plain_row(phases, phase.name, format_duration(phase.duration),
                       str(scenario.users_in(phase)), Text(faults))
    parts: list[Table | Text] = [head, phases]
    if scenario.base_faults:
        parts.append(Text("base faults: " + "; ".join(
            f"{s}: {describe_faults({'faults': [f.to_spec() for f in items]})}"
            for s, items in scenario.base_faults.items())))
    slos = Table(title="SLOs", title_justify="left")
    for column in ("id", "threshold", "why"):
        slos.add_column(column)
    for slo in scenario.slos:
        value = format_duration(slo.threshold) if slo.kind == "duration" else f"{slo.threshold:g}"
        plain_row(slos, slo.id, f"{'<=' if slo.op == 'max' else '>='} {value}", Text(slo.why))
    parts.append(slos)
    return Group(*parts)
