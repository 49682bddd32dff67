"""report.html: one self-contained page (inline CSS and SVG, no scripts, no network)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from reports.blackbox_view import breaker_rows, traffic_rows
from reports.slo import format_value, status_of
from reports.svg import (
    activity_chart,
    calls_chart,
    latency_chart,
    load_chart,
    outcome_chart,
    retry_chart,
)
from reports.terminal import ms, pct

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;
max-width:960px;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.meta{color:#666;font-size:12px} .pass{color:#1a7f37;font-weight:600}
.fail{color:#cf222e;font-weight:600} .na{color:#9a6700;font-weight:600}
.problem{background:#fff4e5;padding:6px 10px}
table{border-collapse:collapse;margin:6px 0;font-size:13px}
th,td{border-bottom:1px solid #e5e5e5;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
table.text th,table.text td{text-align:left} .chart{width:100%;height:auto}
a{color:#0969da;text-decoration:none} a:hover{text-decoration:underline}
.phase{font-size:11px;fill:#555} .tick{font-size:10px;fill:#555}
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], text: bool = False) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    css = ' class="text"' if text else ""
    return f"<table{css}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STATUS_HTML = {"pass": '<span class="pass">PASS</span>',
                "fail": '<span class="fail">FAIL</span>', "n/a": '<span class="na">n/a</span>'}


def render_html(report: Mapping[str, Any]) -> str:
    scenario, env = report["scenario"], report["environment"]
    verdict = '<span class="pass">PASSED</span>' if report["passed"] else \
        '<span class="fail">FAILED</span>'
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
             f"<title>{escape(scenario['name'])} · {escape(report['policy']['name'])}</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{escape(scenario['name'])} · policy {escape(report['policy']['name'])} · "
             f"{verdict}</h1>",
             f"<p class=meta>seed {report['seed']} · {scenario['load']['users']} users · "
             f"{escape(str(env['machine']))}, {env['cpus']} cores, Python "
             f"{escape(str(env['python']))}, {escape(str(env['loop']))}, locust "
             f"{escape(str(env['locust']))} · {escape(env['started_at'])}</p>"]
    if scenario.get("description"):
        parts.append(f"<p>{escape(scenario['description'])}</p>")
    parts += [f'<p class="problem">{escape(p)}</p>' for p in report.get("problems", [])]
    parts.append("<h2>SLOs</h2>")
    parts.append(_table(["", "rule"], [
        (_STATUS_HTML.get(status_of(v), escape(status_of(v))), escape(v["rule"]))
        for v in report["slos"]], text=True))
    parts.append("<h2>Latency over time</h2><p class=meta>Client-side percentiles per second, "
                 "phases shaded; under it each breaker's state (green closed, red open, "
                 "orange half-open).</p>")
    parts.append(latency_chart(report))
    parts.append("<h2>Load and answers over time</h2><p class=meta>Requests per second, and "
                 "the share of each second's answers that failed or were degraded.</p>")
    parts += [load_chart(report), outcome_chart(report)]
    if report.get("resilience_series") and report.get("target") is None:
        parts.append("<h2>What the policies did over time</h2><p class=meta>The BFF's "
                     "attempts, fallbacks and rejected calls per second; under the plot, "
                     "what was injected when (the cause). Retries on their own scale below."
                     "</p>")
        parts += [activity_chart(report), retry_chart(report)]
    if report.get("blackbox", {}).get("calls_series"):
        parts.append("<h2>Calls each service saw</h2><p class=meta>Per second, for any BFF: "
                     "a breaker shows as calls that stop while the load goes on; under the "
                     "plot, what was injected when.</p>")
        parts.append(calls_chart(report))
    rows = []
    for name, s in [*report["client"]["phases"].items(), ("all", report["client"]["overall"])]:
        count = s["requests"] or 1
        rows.append((escape(name), str(s["requests"]), f"{s['rps']:.1f}", ms(s["p50"]),
                     ms(s["p95"]), ms(s["p99"]), ms(s["max"]), pct(s["degraded"] / count),
                     pct(s["failed"] / count)))
    parts.append("<h2>Client latency by phase (ms)</h2>")
    parts.append(_table(["phase", "requests", "req/s", "p50", "p95", "p99", "max",
                         "degraded %", "failed %"], rows))
    if report["downstreams"]:
        parts.append("<h2>Per downstream</h2>")
        parts.append(_table(
            ["downstream", "calls", "attempts", "amplification", "per-try timeouts",
             "deadline timeouts", "retries", "not permitted", "fallbacks", "abandoned"],
            [(escape(n), str(d["calls"]), str(d["attempts"]), f"{d['amplification']:.2f}",
              str(d["timeouts_per_try"]), str(d["timeouts_deadline"]),
              str(d["retries_scheduled"]), str(d["not_permitted"]),
              str(sum(d["fallbacks"].values())), str(d["abandoned"]))
             for n, d in report["downstreams"].items()]))
    if report["breaker_timeline"]:
        parts.append("<h2>Breaker timeline</h2>")
        parts.append(_table(["t (s)", "downstream", "from", "to", "reason"], [
            (f"{m['t']:.2f}", escape(m["downstream"]), escape(m["from"]), escape(m["to"]),
             escape(m["reason"]))
            for m in report["breaker_timeline"]], text=True))
        parts.append(_table(["downstream", "faulty phase", "time to open", "time to close"], [
            (escape(d), escape(p), format_value(e["time_to_open"], "s"),
             format_value(e["time_to_close"], "s"))
            for d, s in report["scoring"].items() for p, e in s["phases"].items()]))
    if report.get("blackbox", {}).get("services"):
        parts.append("<h2>Seen from the simulator</h2><p class=meta>Inferred from the calls "
                     "the simulated services saw, for any BFF (docs/metrics.md#black-box)"
                     + ("; our BFF's own telemetry in the (BFF) columns." if
                        report.get("target") is None else ".") + "</p>")
        for head, cells in (traffic_rows(report), breaker_rows(report)):
            if cells:
                parts.append(_table(head, [[escape(c) for c in row] for row in cells]))
    parts.append("</body></html>")
    return "".join(parts)
