"""One scenario, several policies, same seed: a side-by-side table and chart (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from rich.table import Table

from reports.html import STYLE
from reports.slo import format_value
from reports.svg import COLORS, WIDTH
from sim.views import plain_row


def comparison_rows(reports: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for report in reports:
        overall = report["client"]["overall"]
        amplification = {name: d["amplification"] for name, d in report["downstreams"].items()
                         if d["calls"]}
        opens = {name: entry for name, score in report["scoring"].items()
                 for entry in score["phases"].values()}
        rows.append({
            "policy": report["policy"]["name"],
            "p50": overall["p50"], "p99": overall["p99"],
            "failed": overall["error_ratio"], "degraded": overall["degraded_ratio"],
            "amplification": max(amplification.values(), default=0.0),
            "amplified": max(amplification, key=lambda k: amplification[k], default="-"),
            "time_to_open": {name: entry["time_to_open"] for name, entry in opens.items()},
            "slos_passed": sum(v["passed"] for v in report["slos"]),
            "slos": len(report["slos"]),
            "passed": report["passed"],
        })
    return rows


def _open_text(row: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} {format_value(value, 's')}"
                     for name, value in row["time_to_open"].items()) or "-"


def comparison_table(reports: Sequence[Mapping[str, Any]]) -> Table:
    name = reports[0]["scenario"]["name"] if reports else ""
    table = Table(title=f"{name}: policies side by side (same seed "
                        f"{reports[0]['seed'] if reports else ''})", title_justify="left")
    for column in ("policy", "p50 ms", "p99 ms", "failed %", "degraded %",
                   "max amplification", "time to open", "SLOs"):
        table.add_column(column, justify="left" if column in ("policy", "time to open")
                         else "right")
    for row in comparison_rows(reports):
        plain_row(table, row["policy"], f"{row['p50'] * 1000:.0f}", f"{row['p99'] * 1000:.0f}",
                      f"{row['failed'] * 100:.1f}", f"{row['degraded'] * 100:.1f}",
                      f"{row['amplification']:.2f} ({row['amplified']})", _open_text(row),
                      f"{row['slos_passed']}/{row['slos']}",
                      style=None if row["passed"] else "red")
    return table


def comparison_markdown(reports: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"## {reports[0]['scenario']['name']}: policies side by side", "",
             "| policy | p50 ms | p99 ms | failed % | degraded % | max amplification | "
             "time to open | SLOs |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for row in comparison_rows(reports):
        lines.append(f"| {row['policy']} | {row['p50'] * 1000:.0f} | {row['p99'] * 1000:.0f} "
                     f"| {row['failed'] * 100:.1f} | {row['degraded'] * 100:.1f} | "
                     f"{row['amplification']:.2f} ({row['amplified']}) | {_open_text(row)} | "
                     f"{row['slos_passed']}/{row['slos']} |")
    return "\n".join(lines) + "\n"


def comparison_html(reports: Sequence[Mapping[str, Any]]) -> str:
    rows = comparison_rows(reports)
    top = max((max(r["p99"], r["p50"]) for r in rows), default=0.0) * 1000 * 1.1 or 1.0
    bar_w, gap, height = 36, 40, 260
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height + 40}" '
             f'style="width:100%;height:auto" role="img" aria-label="p50 and p99 by policy">']
    for index, row in enumerate(rows):
        x = 70 + index * (2 * bar_w + gap)
        for offset, key in enumerate(("p50", "p99")):
            value = row[key] * 1000
            h = value / top * height
            parts.append(f'<rect x="{x + offset * bar_w}" y="{height - h + 10:.1f}" '
                         f'width="{bar_w - 4}" height="{h:.1f}" fill="{COLORS[offset]}">'
                         f'<title>{escape(row["policy"])} {key} {value:.0f} ms</title></rect>'
                         f'<text x="{x + offset * bar_w + 2}" y="{height - h + 6:.1f}" '
                         f'font-size="10">{value:.0f}</text>')
        parts.append(f'<text x="{x}" y="{height + 28}" font-size="12">'
                     f'{escape(row["policy"])}</text>')
    parts.append(f'<text x="70" y="{height + 40}" font-size="10" fill="{COLORS[0]}">p50 ms'
                 f'</text><text x="120" y="{height + 40}" font-size="10" '
                 f'fill="{COLORS[1]}">p99 ms</text></svg>')
    # Each policy's run is in a directory named after it, next to comparison.html.
    table = "".join(
        f"<tr><td><a href=\"{quote(r['policy'])}/report.html\">{escape(r['policy'])}</a>"
        f"</td><td>{r['p50'] * 1000:.0f}</td>"
        f"<td>{r['p99'] * 1000:.0f}</td><td>{r['failed'] * 100:.1f}</td>"
        f"<td>{r['degraded'] * 100:.1f}</td><td>{r['amplification']:.2f}</td>"
        f"<td>{escape(_open_text(r))}</td><td>{r['slos_passed']}/{r['slos']}</td></tr>"
        for r in rows)
    name = escape(reports[0]["scenario"]["name"])
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{name}: policies side by side</title>"
            f"<style>{STYLE}</style></head><body>"  # the run reports' own look
            f"<h1>{name}: policies side by side</h1><p class=meta>One run per policy, "
            "same scenario and seed; each policy's name links to its full report.</p>"
            "<table><thead><tr><th>policy</th><th>p50 ms</th><th>p99 ms</th>"
            "<th>failed %</th><th>degraded %</th><th>max amplification</th>"
            f"<th>time to open</th><th>SLOs</th></tr></thead><tbody>{table}</tbody></table>"
            "<h2>p50 and p99 by policy</h2>" + "".join(parts) + "</body></html>")
