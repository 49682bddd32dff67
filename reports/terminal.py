"""The terminal report: report.json in, rich renderables out (pure; test with a
fixed-width recording Console)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from reports.blackbox_view import blackbox_table
from reports.fit import Col, fit
from reports.live import STATE_STYLE
from reports.slo import format_value, status_of
from sim.views import plain_row

STATUS_STYLE = {"pass": "green", "fail": "red", "n/a": "yellow"}


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def pct(ratio: float) -> str:
    return f"{ratio * 100:.1f}"


def header(report: Mapping[str, Any]) -> Text:
    scenario, env = report["scenario"], report["environment"]
    load = scenario["load"]
    verdict = ("PASSED", "bold green") if report["passed"] else ("FAILED", "bold red")
    text = Text.assemble(
        (f"{scenario['name']}", "bold"), " · policy ", (report["policy"]["name"], "bold"),
        f" · seed {report['seed']} · {load['users']} users · "
        f"{sum(p['end'] - p['start'] for p in report['phases']):.0f} s · ",
        verdict)
    text.append(f"\n{env['machine']}, {env['cpus']} cores, Python {env['python']}, "
                f"{env['loop']}, locust {env['locust']}, {env['started_at']}", style="dim")
    if report.get("target"):
        text.append(f"\ntarget: external BFF at {report['target']}", style="yellow")
    for problem in report.get("problems", []):
        text.append(f"\n! {problem}", style="bold yellow")
    return text


def phases_table(report: Mapping[str, Any]) -> RenderableType:
    columns = [Col("phase", numeric=False, keep=99), Col("requests", keep=3),
               Col("req/s", keep=2), Col("p50 ms", keep=5), Col("p95 ms", keep=6),
               Col("p99 ms", keep=5), Col("max ms", keep=1), Col("complete %"),
               Col("degraded %", keep=4), Col("failed %", keep=6)]
    rows, styles = [], []
    for name, stats in [*report["client"]["phases"].items(),
                        ("all", report["client"]["overall"])]:
        count = stats["requests"] or 1
        rows.append([name, str(stats["requests"]), f"{stats['rps']:.1f}", ms(stats["p50"]),
                     ms(stats["p95"]), ms(stats["p99"]), ms(stats["max"]),
                     pct(stats["complete"] / count), pct(stats["degraded"] / count),
                     pct(stats["failed"] / count)])
        styles.append("bold" if name == "all" else None)
    return fit("client latency by phase (exact, from every request)", columns, rows, styles)


def downstreams_table(report: Mapping[str, Any]) -> RenderableType:
    columns = [Col("downstream", numeric=False, keep=99), Col("calls", keep=5),
               Col("attempts", keep=4), Col("ampl.", keep=6), Col("per-try t/o", keep=3),
               Col("deadline t/o", keep=1), Col("retries", keep=3),
               Col("retries blocked", numeric=False), Col("not permitted", keep=5),
               Col("bulkhead"), Col("fallbacks", numeric=False, keep=2),
               Col("abandoned", keep=2)]
    rows = []
    for name, stats in report["downstreams"].items():
        blocked = ", ".join(f"{k} {v}" for k, v in stats["retries_blocked"].items()) or "0"
        fallbacks = ", ".join(f"{k} {v}" for k, v in stats["fallbacks"].items()) or "0"
        rows.append([name, str(stats["calls"]), str(stats["attempts"]),
                     f"{stats['amplification']:.2f}", str(stats["timeouts_per_try"]),
                     str(stats["timeouts_deadline"]), str(stats["retries_scheduled"]),
                     blocked, str(stats["not_permitted"]), str(stats["bulkhead_rejected"]),
                     fallbacks, str(stats["abandoned"])])
    return fit("what the policies did, per downstream", columns, rows)


def breaker_table(report: Mapping[str, Any]) -> RenderableType:
    moves = report["breaker_timeline"]
    if report.get("target"):  # an external BFF's breakers are inferred further down
        return Text("")
    if not moves:
        return Text("breakers: no transitions", style="dim")
    table = Table(title="breaker timeline (s since the phases started)", title_justify="left")
    for column in ("t", "downstream", "from", "to", "reason"):
        table.add_column(column)
    for move in moves:
        plain_row(table, f"{move['t']:.2f}", move["downstream"], move["from"],
                      Text(move["to"], style=STATE_STYLE.get(move["to"], "")), move["reason"])
    return table


def state_strips(report: Mapping[str, Any], width: int = 60) -> RenderableType:
    """One line per breaker: its state over the run, aligned with the phase names."""
    total = max((p["end"] for p in report["phases"]), default=0.0)
    if not total or not report["breaker_timeline"]:
        return Text("")
    lines = Text()
    ruler = [" "] * width
    for phase in report["phases"]:
        at = int(phase["start"] / total * width)
        for i, ch in enumerate(f"|{phase['name']}"):
            if at + i < width:
                ruler[at + i] = ch
    lines.append(f"{'':>10} {''.join(ruler)}\n", style="dim")
    symbols = {"closed": ("─", "green"), "open": ("█", "red"), "half_open": ("▒", "yellow")}
    for downstream in sorted({m["downstream"] for m in report["breaker_timeline"]}):
        moves = [m for m in report["breaker_timeline"] if m["downstream"] == downstream]
        lines.append(f"{downstream:>10} ")
        for cell in range(width):
            t = (cell + 0.5) * total / width
            state = "closed"
            for move in moves:
                if move["t"] <= t:
                    state = move["to"]
            char, style = symbols.get(state, ("?", ""))
            lines.append(char, style=style)
        lines.append("\n")
    return lines


def scoring_table(report: Mapping[str, Any]) -> RenderableType:
    rows = [(d, phase, entry) for d, score in report["scoring"].items()
            for phase, entry in score["phases"].items()]
    if not rows or not report["downstreams"]:
        return Text("")
    columns = [Col("downstream", numeric=False, keep=99), Col("faulty phase", numeric=False,
               keep=99), Col("time to open", keep=9), Col("time to close", keep=9),
               Col("false trips", keep=9)]
    return fit("breakers scored against the injected faults", columns, [
        [downstream, phase, format_value(entry["time_to_open"], "s"),
         format_value(entry["time_to_close"], "s"),
         str(report["scoring"][downstream]["false_trips"])]
        for downstream, phase, entry in rows])


def verdict_table(title: str, verdicts: Sequence[Mapping[str, Any]],
                  notes: Sequence[str] = ()) -> Table:
    """PASS/FAIL and the rule in words, for SLO verdicts and baseline checks alike."""
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("rule")
    for verdict in verdicts:
        status = status_of(verdict)
        plain_row(table, Text(status.upper(), style=STATUS_STYLE.get(status, "yellow")),
                  verdict["rule"])
    for note in notes:
        plain_row(table, Text("note", style="yellow"), note)
    return table


def slo_table(report: Mapping[str, Any]) -> RenderableType:
    if not report["slos"]:
        return Text("no SLOs", style="dim")
    return verdict_table("SLOs", report["slos"])


def full_report(report: Mapping[str, Any]) -> Group:
    parts: list[RenderableType] = [header(report), phases_table(report)]
    if report["downstreams"]:
        parts.append(downstreams_table(report))
    parts += [breaker_table(report), state_strips(report), scoring_table(report),
              blackbox_table(report), slo_table(report)]
    return Group(*parts)


def baseline_table(result: Mapping[str, Any]) -> RenderableType:
    return verdict_table("compared with the baseline", result["checks"],
                         result.get("notes", []))
