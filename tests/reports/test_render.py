"""Renderings of a real report.json (from a short inventory-outage run): the numbers a user
reads in each view are the report's numbers."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from rich.console import Console

from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.terminal import full_report


def rendered(report: dict[str, Any]) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(full_report(report))
    return console.export_text()


def test_terminal_report_has_the_phase_numbers(report: dict[str, Any]) -> None:
    text = rendered(report)
    outage = report["client"]["phases"]["outage"]
    row = next(line for line in text.splitlines() if line.startswith("│ outage"))
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells == ["outage", str(outage["requests"]), f"{outage['rps']:.1f}",
                     f"{outage['p50'] * 1000:.0f}", f"{outage['p95'] * 1000:.0f}",
                     f"{outage['p99'] * 1000:.0f}", f"{outage['max'] * 1000:.0f}",
                     "0.0", "100.0", "0.0"]


def test_terminal_report_shows_what_the_policies_did(report: dict[str, Any]) -> None:
    text = rendered(report)
    inventory = report["downstreams"]["inventory"]
    row = next(line for line in text.splitlines() if line.startswith("│ inventory"))
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[:5] == ["inventory", str(inventory["calls"]), str(inventory["attempts"]),
                         f"{inventory['amplification']:.2f}",
                         str(inventory["timeouts_per_try"])]
    assert str(inventory["not_permitted"]) in cells
    # The breaker timeline and its scoring against the injected outage.
    assert re.search(r"│ 3\.25 │ inventory\s+│ closed\s+│ open\s+│ consecutive_failures 20", text)
    assert "│ inventory  │ outage       │ 246 ms" in text
    assert "PASS │ breaker_time_to_open[inventory@outage] = 246 ms <= 2000 ms (max)" in text


def test_terminal_state_strip_is_aligned_with_the_phases(report: dict[str, Any]) -> None:
    lines = rendered(report).splitlines()
    ruler = next(i for i, line in enumerate(lines) if "|warm" in line and "|outage" in line)
    strip = lines[ruler + 1]
    outage_at = lines[ruler].index("|outage")
    recover_at = lines[ruler].index("|recover")
    assert set(strip[outage_at + 1:recover_at - 1]) == {"█"}  # open through the outage
    assert strip[recover_at + 2] == "─"  # closed again in recovery


def test_a_failed_slo_says_both_numbers_and_why(report: dict[str, Any]) -> None:
    report["slos"][0].update(passed=False, rule="latency_p95[outage] = 27 ms > 20 ms (max)")
    report["passed"] = False
    text = rendered(report)
    assert "FAIL │ latency_p95[outage] = 27 ms > 20 ms (max)" in text
    assert "FAILED" in text.splitlines()[0]


def test_markdown_has_slos_phases_and_breakers(report: dict[str, Any]) -> None:
    text = render_markdown(report)
    assert text.startswith("## outage-test · resilient · PASSED")
    assert "| ✅ | breaker_time_to_open[inventory@outage] = 246 ms <= 2000 ms (max) |" in text
    outage = report["client"]["phases"]["outage"]
    assert f"| outage | {outage['requests']} | {outage['rps']:.1f} |" in text
    assert "| 3.25 | inventory | closed | open | consecutive_failures 20 |" in text


def test_junit_has_one_case_per_slo(report: dict[str, Any]) -> None:
    report["slos"][1]["passed"] = False
    root = ET.fromstring(render_junit([report]))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "2"
    assert suite.get("failures") == "1"
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ["latency_p95[outage]", "breaker_time_to_open[inventory@outage]"]
    failure = suite.findall("testcase")[1].find("failure")
    assert failure is not None
    assert "246 ms" in (failure.get("message") or "")


def test_html_is_self_contained_with_both_charts(report: dict[str, Any]) -> None:
    page = render_html(report)
    assert page.count("<svg") == 2
    assert "<script" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "inventory open from 3.25s" in page  # the breaker band's tooltip
    assert "PASSED" in page
