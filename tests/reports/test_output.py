"""What people read: the report at 80 columns, the smoke summary, n/a verdicts, the live
view (rendered with fixed-width rich Consoles)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from rich.console import Console

from reports.junit import render_junit
from reports.live import LiveSnapshot, live_view
from reports.markdown import rollup_markdown
from reports.slo import evaluate
from reports.terminal import full_report
from scenarios.model import Slo
from scenarios.run import read_locust_now
from scenarios.smoke import failed_checks


def text_of(renderable: Any, width: int) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_the_report_fits_80_columns_without_cutting_a_number(report: dict[str, Any]) -> None:
    text = text_of(full_report(report), 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    for name, stats in report["client"]["phases"].items():
        row = next(line for line in text.splitlines() if line.startswith(f"│ {name} "))
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert str(stats["requests"]) in cells  # whole, in its own cell
        assert f"{stats['p95'] * 1000:.0f}" in cells
    inventory = report["downstreams"]["inventory"]
    row = next(line for line in text.splitlines() if line.startswith("│ inventory "))
    assert str(inventory["not_permitted"]) in [c.strip() for c in row.split("│")]
    assert "(left out at 80 columns:" in text  # says what it dropped


def test_at_200_columns_nothing_is_left_out(report: dict[str, Any]) -> None:
    assert "left out" not in text_of(full_report(report), 200)


def test_smoke_prints_each_failed_check_with_its_why(report: dict[str, Any]) -> None:
    report = copy.deepcopy(report)
    verdicts = evaluate([Slo("latency_p95", max=0.001, phase="outage",
                             why="pages were slow in the outage"),
                         Slo("error_ratio", max=0.5)], report)
    report["slos"] = [v.to_dict() for v in verdicts]
    text = text_of(failed_checks(report), 120)
    p95 = report["client"]["phases"]["outage"]["p95"] * 1000
    assert f"FAIL latency_p95[outage] = {p95:.0f} ms > 1 ms (max) (pages were slow in the " \
           "outage)" in text
    assert "error_ratio" not in text  # passed: not listed


def test_summary_starts_with_one_row_per_scenario(report: dict[str, Any]) -> None:
    failing = copy.deepcopy(report)
    failing["passed"] = False
    failing["scenario"]["name"] = "slow-inventory"
    failing["problems"] = ["the load stopped after 3.0 s | of 15 s"]
    lines = rollup_markdown([report, failing]).splitlines()
    assert lines[0] == "## bff-sim: 1 of 2 scenarios passed"
    rows = [line for line in lines if line.startswith("| ✅") or line.startswith("| ❌")]
    assert len(rows) == 2
    assert rows[0].startswith(f"| ✅ | {report['scenario']['name']} | resilient |")
    assert rows[1].startswith("| ❌ | slow-inventory |")
    assert rows[1].endswith("| the load stopped after 3.0 s \\| of 15 s |")  # one cell


def test_an_slo_that_cannot_be_measured_is_na_not_pass_or_fail(
        report: dict[str, Any]) -> None:
    external = copy.deepcopy(report)
    external["target"] = "http://127.0.0.1:8080"
    external["downstreams"] = {}
    external["blackbox"] = {"services": {"cart": {
        "calls": 0, "calls_per_page": None, "amplification": None, "opens": 0,
        "abandoned": 0, "breaker_moves": [], "reference": 1.0, "reference_from": "nominal",
        "phases": {"outage": {"time_to_open": None, "time_to_close": None,
                              "observable": False}}}}}
    opens, amplification = evaluate([
        Slo("breaker_time_to_open", max=2.0, phase="outage", downstream="cart"),
        Slo("retry_amplification", max=1.2, downstream="cart")], external)
    assert (opens.status, amplification.status) == ("n/a", "n/a")
    assert not opens.passed and not opens.failed
    assert "cart refused connections in outage" in opens.rule
    external["slos"] = [opens.to_dict(), amplification.to_dict()]
    suite = ET.fromstring(render_junit([external])).find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert suite.get("skipped") == "2"
    assert "N/A" in text_of(full_report(external), 120)


def snapshot(**changes: Any) -> LiveSnapshot:
    base = LiveSnapshot(scenario="inventory-outage", policy="resilient", elapsed=3.2,
                        total=30.0, phase="warm-up", phase_left=1.8, rps=97.3,
                        p95_10s=0.0415, error_ratio=0.0, degraded_ratio=0.031,
                        retries_per_second=2.0, breakers={"inventory": "closed"}, users=10)
    return LiveSnapshot(**{**base.__dict__, **changes})


def test_live_headings_sit_over_their_values() -> None:
    lines = text_of(live_view(snapshot()), 100).splitlines()
    heads = next(line for line in lines if "req/s" in line)
    values = lines[lines.index(heads) + 1]
    for heading, value in (("users", "10"), ("req/s", "97.3"), ("p95 (10 s)", "42 ms"),
                           ("errors", "0.0%"), ("degraded", "3.1%"), ("retries/s", "2.0")):
        # right-justified: each heading ends where its value ends
        assert heads.index(heading) + len(heading) == values.index(value) + len(value)


def test_the_last_live_frame_says_the_run_is_over() -> None:
    text = text_of(live_view(snapshot(finished=True, elapsed=29.6)), 100)
    assert "finished: 30 s" in text
    assert "phase warm-up" not in text
    stopped = text_of(live_view(snapshot(finished=True, interrupted=True, elapsed=12.4)), 100)
    assert "interrupted at 12 s of 30 s" in stopped


HISTORY = """Timestamp,User Count,Type,Name,Requests/s,Failures/s,95%,Total Request Count,\
Total Failure Count
1796120343,0,,Aggregated,0.000000,0.000000,N/A,0,0
1796120344,10,,Aggregated,0.000000,0.000000,260,88,0
1796120345,10,,Aggregated,0.000000,0.000000,250,214,6
"""


def test_live_req_per_second_counts_from_the_first_second(tmp_path: Path) -> None:
    # locust's own Requests/s column stays 0 for its first seconds (a 10 s average).
    path = tmp_path / "locust_stats_history.csv"
    path.write_text(HISTORY.splitlines()[0] + "\n" + HISTORY.splitlines()[1] + "\n" +
                    HISTORY.splitlines()[2] + "\n")
    first = read_locust_now(path)
    assert first.rps == 88.0
    assert first.users == 10
    path.write_text(HISTORY)
    now = read_locust_now(path)
    assert now.rps == 126.0  # 214 - 88 in the last second
    assert now.error_ratio == pytest.approx(6 / 126)
    assert now.p95 == 0.25


def test_comparison_html_links_each_policy_to_its_report(report: dict[str, Any]) -> None:
    from reports.comparison import comparison_html

    naive = copy.deepcopy(report)
    naive["policy"]["name"] = "naive"
    page = comparison_html([naive, report])
    assert '<a href="naive/report.html">naive</a>' in page
    assert '<a href="resilient/report.html">resilient</a>' in page
    assert "font:14px/1.45 system-ui" in page  # the run reports' stylesheet
