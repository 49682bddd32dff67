"""report.md, sim smoke's summary.md and ab.md keep every table whole when user strings
(scenario and phase names, descriptions, SLO `why`s, breaker reasons) hold a `|` or a
line break: each was pasted into the cell as it was, so `a|b` added a column and a line
break cut the row in two, on GitHub's job summary and in PR comments alike."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from reports.gate import gate, round_data
from reports.gate_render import gate_markdown
from reports.markdown import render_markdown
from scenarios.gate_rules import GateRules
from scenarios.smoke import write_summary

PIPE_PHASE = "out|age\nnext"  # what a hand-edited report.json (`sim report`) may hold
NAME = "a|b"


def table_rows(markdown: str) -> list[list[list[str]]]:
    """The tables of `markdown` as rows of cells, split at unescaped pipes as GitHub does;
    a row that is not one whole `| ... |` line is kept as a one-cell row, so it shows."""
    tables: list[list[list[str]]] = []
    previous_in_table = False
    for line in markdown.splitlines():
        in_table = line.startswith("|")
        if in_table and not previous_in_table:
            tables.append([])
        if in_table:
            whole = line.endswith("|") and not line.endswith("\\|")
            tables[-1].append(re.split(r"(?<!\\)\|", line)[1:-1] if whole else [line])
        elif previous_in_table and line.strip():
            tables[-1].append([line])  # a row's remainder, cut off by a line break
        previous_in_table = in_table
    return tables


def assert_tables_whole(markdown: str) -> None:
    tables = table_rows(markdown)
    assert tables
    for table in tables:
        widths = [len(row) for row in table]
        assert widths == [widths[0]] * len(widths), table


def with_user_strings(report: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(report).replace('"outage"', json.dumps(PIPE_PHASE))
    edited: dict[str, Any] = json.loads(text)
    edited["scenario"].update(name=NAME, description="first | line\nsecond line")
    edited["policy"]["name"] = "my|policy.toml"
    edited["slos"][0].update(passed=False, rule=edited["slos"][0]["rule"] +
                             " (why: p95 | p99\nmatter)")
    edited["passed"] = False
    edited["breaker_timeline"][0]["reason"] = "failure rate | 60%"
    edited["problems"] = ["locust | said\nno"]
    return edited


def test_report_md_tables_stay_whole(report: dict[str, Any]) -> None:
    text = render_markdown(with_user_strings(report))
    assert_tables_whole(text)
    assert "| ❌ | " in text and "(why: p95 \\| p99 matter) |" in text
    assert "| out\\|age next | " in text  # the phase row, escaped and on one line
    assert text.splitlines()[0].startswith(f"## {NAME} · my|policy.toml · FAILED")
    assert "> first | line\n> second line\n" in text
    assert "- **locust | said no**" in text


def test_smoke_summary_tables_stay_whole(report: dict[str, Any], tmp_path: Path) -> None:
    write_summary(tmp_path, [with_user_strings(report), report])
    summary = (tmp_path / "summary.md").read_text()
    assert_tables_whole(summary)
    rollup = table_rows(summary)[0]
    assert [cell.strip() for cell in rollup[2][:3]] == ["❌", "a\\|b", "my\\|policy.toml"]


def test_ab_md_tables_stay_whole() -> None:
    rng = np.random.default_rng(3)
    phases = [{"name": "st|eady\nx", "start": 0.0, "end": 30.0}]

    def run() -> Any:
        armed = 1_700_000_000.0
        samples = [[armed + t, 20 + rng.random(), 200, 0, 0.0]
                   for t in np.sort(rng.uniform(0, 30, 400))]
        report = {"phases": phases, "downstreams": {"inv|entory": {"calls": 100,
                                                                    "attempts": 100}},
                  "scoring": {"inv|entory": {"opens": 0}}}
        return round_data(report, {"armed_at": armed, "samples": samples}, window=1.0)

    result = gate([run()], [run()], GateRules())
    result["variants"] = [{"label": "A", "policy": "x|y", "scenario": NAME},
                          {"label": "B", "policy": "resilient", "scenario": NAME}]
    text = gate_markdown(result, f"{NAME}\nA/B")
    assert_tables_whole(text)
    assert "p95[st\\|eady x]" in text and "amplification[inv\\|entory]" in text
    assert text.startswith(f"## {NAME} A/B: ")
