"""report.md: a summary fit for a CI job summary (GitHub's $GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.slo import format_value
from reports.terminal import ms, pct


def render_markdown(report: Mapping[str, Any]) -> str:
    scenario = report["scenario"]
    verdict = "PASSED" if report["passed"] else "FAILED"
    lines = [f"## {scenario['name']} · {report['policy']['name']} · {verdict}", ""]
    if scenario.get("description"):
        lines += [f"> {scenario['description']}", ""]
    env = report["environment"]
    lines += [f"seed {report['seed']}, {scenario['load']['users']} users, "
              f"{env['machine']} {env['cpus']} cores, Python {env['python']}, "
              f"locust {env['locust']}, {env['started_at']}", ""]
    for problem in report.get("problems", []):
        lines.append(f"- **{problem}**")
    if report.get("problems"):
        lines.append("")
    lines += ["### SLOs", "", "| | rule |", "| --- | --- |"]
    lines += [f"| {'✅' if v['passed'] else '❌'} | {v['rule']} |" for v in report["slos"]]
    lines += ["", "### Client latency (ms)", "",
              "| phase | requests | req/s | p50 | p95 | p99 | max | degraded % | failed % |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = [*report["client"]["phases"].items(), ("**all**", report["client"]["overall"])]
    for name, s in rows:
        count = s["requests"] or 1
        lines.append(f"| {name} | {s['requests']} | {s['rps']:.1f} | {ms(s['p50'])} | "
                     f"{ms(s['p95'])} | {ms(s['p99'])} | {ms(s['max'])} | "
                     f"{pct(s['degraded'] / count)} | {pct(s['failed'] / count)} |")
    if report["downstreams"]:
        lines += ["", "### Policies per downstream", "",
                  "| downstream | calls | attempts | amplification | per-try timeouts | "
                  "retries | not permitted | fallbacks |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name, d in report["downstreams"].items():
            lines.append(f"| {name} | {d['calls']} | {d['attempts']} | "
                         f"{d['amplification']:.2f} | {d['timeouts_per_try']} | "
                         f"{d['retries_scheduled']} | {d['not_permitted']} | "
                         f"{sum(d['fallbacks'].values())} |")
    if report["breaker_timeline"]:
        lines += ["", "### Breaker timeline", "", "| t (s) | downstream | from | to | reason |",
                  "| ---: | --- | --- | --- | --- |"]
        lines += [f"| {m['t']:.2f} | {m['downstream']} | {m['from']} | {m['to']} | "
                  f"{m['reason']} |" for m in report["breaker_timeline"]]
        scored = [(d, p, e) for d, s in report["scoring"].items()
                  for p, e in s["phases"].items()]
        if scored:
            lines += ["", "| downstream | faulty phase | time to open | time to close |",
                      "| --- | --- | ---: | ---: |"]
            lines += [f"| {d} | {p} | {format_value(e['time_to_open'], 's')} | "
                      f"{format_value(e['time_to_close'], 's')} |" for d, p, e in scored]
    return "\n".join(lines) + "\n"
