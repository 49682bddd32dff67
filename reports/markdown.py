"""report.md: a summary fit for a CI job summary (GitHub's $GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reports.blackbox_view import breaker_rows, traffic_rows
from reports.slo import format_value, status_of
from reports.terminal import ms, pct

NA = "n/a"
STATUS_MARK = {"pass": "✅", "fail": "❌", "n/a": "➖ n/a"}


def render_markdown(report: Mapping[str, Any]) -> str:
    scenario = report["scenario"]
    verdict = "PASSED" if report["passed"] else "FAILED"
    lines = [f"## {one_line(scenario['name'])} · {one_line(report['policy']['name'])} · "
             f"{verdict}", ""]
    if scenario.get("description"):  # every line quoted: a bare one would end the quote
        lines += [*(f"> {line}" for line in str(scenario["description"]).splitlines()), ""]
    env = report["environment"]
    lines += [f"seed {report['seed']}, {scenario['load']['users']} users, "
              f"{env['machine']} {env['cpus']} cores, Python {env['python']}, "
              f"locust {env['locust']}, {env['started_at']}", ""]
    for problem in report.get("problems", []):
        lines.append(f"- **{one_line(problem)}**")
    if report.get("problems"):
        lines.append("")
    lines += ["### SLOs", "", "| | rule |", "| --- | --- |"]
    lines += [md_row(STATUS_MARK.get(status_of(v), "➖"), v["rule"]) for v in report["slos"]]
    lines += ["", "### Client latency (ms)", "",
              "| phase | requests | req/s | p50 | p95 | p99 | max | degraded % | failed % |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = [*report["client"]["phases"].items(), ("**all**", report["client"]["overall"])]
    for name, s in rows:
        count = s["requests"] or 1
        lines.append(md_row(name, s["requests"], f"{s['rps']:.1f}", ms(s["p50"]),
                            ms(s["p95"]), ms(s["p99"]), ms(s["max"]),
                            pct(s["degraded"] / count), pct(s["failed"] / count)))
    if report["downstreams"]:
        lines += ["", "### Policies per downstream", "",
                  "| downstream | calls | attempts | amplification | per-try timeouts | "
                  "retries | not permitted | fallbacks |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name, d in report["downstreams"].items():
            lines.append(md_row(name, d["calls"], d["attempts"], f"{d['amplification']:.2f}",
                                d["timeouts_per_try"], d["retries_scheduled"],
                                d["not_permitted"], sum(d["fallbacks"].values())))
    if report["breaker_timeline"]:
        lines += ["", "### Breaker timeline", "", "| t (s) | downstream | from | to | reason |",
                  "| ---: | --- | --- | --- | --- |"]
        lines += [md_row(f"{m['t']:.2f}", m["downstream"], m["from"], m["to"], m["reason"])
                  for m in report["breaker_timeline"]]
        scored = [(d, p, e) for d, s in report["scoring"].items()
                  for p, e in s["phases"].items()]
        if scored:
            lines += ["", "| downstream | faulty phase | time to open | time to close |",
                      "| --- | --- | ---: | ---: |"]
            lines += [md_row(d, p, format_value(e["time_to_open"], "s"),
                             format_value(e["time_to_close"], "s")) for d, p, e in scored]
    lines += _blackbox_markdown(report)
    return "\n".join(lines) + "\n"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [f"| {' | '.join(head)} |",
            "| " + " | ".join("---" if i < 2 else "---:" for i in range(len(head))) + " |",
            *(md_row(*row) for row in rows)]


def _blackbox_markdown(report: Mapping[str, Any]) -> list[str]:
    if not report.get("blackbox", {}).get("services"):
        return []
    lines = ["", "### Seen from the simulator", "",
             "Inferred from the calls the simulated services saw, for any BFF"
             + (" (our BFF's own telemetry in the (BFF) columns)." if
                report.get("target") is None else "."), ""]
    lines += _table(*traffic_rows(report))
    head, rows = breaker_rows(report)
    if rows:
        lines += ["", *_table(head, rows)]
    return lines


def rollup_markdown(reports: Sequence[Mapping[str, Any]]) -> str:
    """One row per scenario, for the top of a PR comment; the details follow it."""
    failed = sum(not r["passed"] for r in reports)
    lines = [f"## bff-sim: {len(reports) - failed} of {len(reports)} scenarios passed", "",
             "| | scenario | policy | requests | p95 ms | failed % | SLOs | baseline | "
             "first failure |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for report in reports:
        overall = report["client"]["overall"]
        slos = [status_of(v) for v in report["slos"]]
        checks = report.get("baseline", {}).get("checks", [])
        failures = [*report.get("problems", []),
                    *(v["rule"] for v in [*report["slos"], *checks]
                      if status_of(v) == "fail")]
        baseline = f"{sum(status_of(c) == 'pass' for c in checks)}/{len(checks)}" \
            if "baseline" in report else "-"
        lines.append(md_row(
            "✅" if report["passed"] else "❌", report["scenario"]["name"],
            report["policy"]["name"], overall["requests"], ms(overall["p95"]),
            pct(overall["error_ratio"]),
            f"{slos.count('pass')}/{len(slos)}"
            f"{f' ({slos.count(NA)} n/a)' if NA in slos else ''}",
            baseline, failures[0] if failures else ""))
    return "\n".join(lines) + "\n"


def one_line(text: object) -> str:
    """Text for one line of Markdown (a heading, a list item): line breaks become spaces."""
    return " ".join(str(text).splitlines())


def md_cell(text: object) -> str:
    """A table cell from any text: a `|` would end the cell and a line break the row (a
    scenario named `a|b`, an SLO's `why` over two lines), so pipes are escaped."""
    return one_line(text).replace("|", "\\|")


def md_row(*cells: object) -> str:
    return f"| {' | '.join(md_cell(cell) for cell in cells)} |"
