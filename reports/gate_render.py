"""Rendering a gate result (from `sim ab` or `sim compare`) for the terminal and for
Markdown (pure). Every line shows the estimate of B - A, its interval, both values, the
allowance and the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from reports.gate_noise import noise_lines
from reports.markdown import md_row, one_line
from sim.views import plain_row

MARKS = {"pass": ("pass", "green", "✅"), "fail": ("FAIL", "bold red", "❌"),
         "inconclusive": ("inconclusive", "yellow", "❔")}


def _ms_or(value: float | None, unit: str, signed: bool = False) -> str:
    if value is None:
        return "-"
    if value in (float("inf"), float("-inf")):
        return "+inf" if value > 0 else "-inf"
    sign = "+" if signed else ""
    if unit == "s":
        return f"{value * 1000:{sign}.1f}"
    if unit == "ratio":
        return f"{value * 100:{sign}.2f}"
    return f"{value:{sign}.2f}"


def _unit_label(unit: str) -> str:
    return {"s": "ms", "ratio": "%", "x": ""}.get(unit, "")


def check_cells(check: Mapping[str, Any]) -> list[str]:
    unit = check["unit"]
    label = _unit_label(unit)
    if check["estimate"] is None:
        return [check["id"], check["rule"], "-", "-", "-", "-"]
    change = (f"{_ms_or(check['estimate'], unit, True)} [{_ms_or(check['low'], unit, True)}, "
              f"{_ms_or(check['high'], unit, True)}]{' ' + label if label else ''}")
    p_value = check.get("mann_whitney_p")
    return [check["id"], change, _ms_or(check["a"], unit), _ms_or(check["b"], unit),
            f"+{_ms_or(check['allowed'], unit)}",
            "-" if p_value is None else "<0.001" if p_value < 0.001 else f"{p_value:.3f}"]


def names_line(result: Mapping[str, Any]) -> str:
    a, b = result["variants"]

    def name(v: Mapping[str, Any]) -> str:
        where = v.get("target") or v.get("run") or f"policy {v['policy']}"
        return f"{v['label']} = {where}" + (f" ({v['scenario']})" if v.get("scenario") else "")

    return f"{name(a)}; {name(b)}"


def gate_table(result: Mapping[str, Any]) -> RenderableType:
    confidence = result["method"]["confidence"]
    table = Table(title=f"B - A with {confidence * 100:g}% intervals ({names_line(result)})",
                  title_justify="left")
    for column in ("", "check", "B - A [interval]", "A", "B", "allowed", "MWU p"):
        table.add_column(Text(column), justify="left" if column in ("", "check") else "right")
    for check in result["checks"]:
        text, style, _ = MARKS[check["verdict"]]
        plain_row(table, Text(text, style=style), *check_cells(check))
    verdict, style, _ = MARKS[result["verdict"]]
    summary = Text.assemble("verdict: ", (verdict, style))
    if result["verdict"] == "inconclusive":
        summary.append(" (a failure with --strict)" if not result["strict"] else
                       " (--strict: a failure)")
    parts: list[RenderableType] = [table, summary]
    parts += [Text(line, style="dim") for line in _notes(result)]
    return Group(*parts)


def _notes(result: Mapping[str, Any]) -> list[str]:
    lines = list(result.get("notes", []))
    rounds = result.get("rounds", {})
    if rounds:
        lines.append(f"rounds: A {rounds.get('a')}, B {rounds.get('b')}"
                     + (f"; mode {result['mode']}" if result.get("mode") else ""))
    if result.get("noise"):
        lines += noise_lines(result["noise"])
    return lines


def gate_markdown(result: Mapping[str, Any], title: str = "A/B") -> str:
    _, _, icon = MARKS[result["verdict"]]
    lines = [f"## {one_line(title)}: {icon} {result['verdict']}", "",
             one_line(names_line(result)), "",
             "| | check | B - A [interval] | A | B | allowed | MWU p |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    lines += [md_row(MARKS[check["verdict"]][2], *check_cells(check))
              for check in result["checks"]]
    lines.append("")
    lines += [f"- {one_line(line)}" for line in _notes(result)]
    method = result["method"]
    lines += ["", f"Latency intervals: {method['latency']}, {method['resamples']} resamples, "
                  f"seed {method['seed']}, {method['confidence'] * 100:g}%. Ratios: "
                  f"{method['ratios']}. Rates: {method['rates']}."]
    return "\n".join(lines) + "\n"
