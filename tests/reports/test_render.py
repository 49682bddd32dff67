"""Renderings of a real report.json (from a short inventory-outage run): the numbers a user
reads in each view are the report's numbers."""

from __future__ import annotations

import math
import re
from typing import Any
from xml.etree import ElementTree as ET

from rich.console import Console

from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.slo import format_value
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
    first = report["breaker_timeline"][0]
    assert re.search(rf"│ {first['t']:.2f}\s+│ {first['downstream']}\s+│ {first['from']}\s+│ "
                     rf"{first['to']}\s+│ {re.escape(first['reason'])}", text)
    score = report["scoring"]["inventory"]
    opened = format_value(score["phases"]["outage"]["time_to_open"], "s")
    assert re.search(rf"│ inventory\s+│ outage\s+│\s+{opened} │ .*│\s+{score['false_trips']} │",
                     text)
    verdict = next(v for v in report["slos"] if v["metric"] == "breaker_time_to_open")
    assert f"{'PASS' if verdict['passed'] else 'FAIL'} │ {verdict['rule']}" in text


def test_terminal_state_strip_is_aligned_with_the_phases(report: dict[str, Any]) -> None:
    lines = rendered(report).splitlines()
    ruler = next(i for i, line in enumerate(lines) if "|warm" in line and "|outage" in line)
    strip, width = lines[ruler + 1][11:], 60
    total = report["phases"][-1]["end"]
    for phase in report["phases"]:  # each name starts where its phase starts
        assert lines[ruler][11:].index(f"|{phase['name']}") == int(phase["start"] / total * width)
    moves = [m for m in report["breaker_timeline"] if m["downstream"] == "inventory"]
    symbols = {"closed": "─", "open": "█", "half_open": "▒"}
    for cell, char in enumerate(strip):  # each cell shows the state at its middle
        states = [m["to"] for m in moves if m["t"] <= (cell + 0.5) * total / width]
        assert char == symbols[states[-1] if states else "closed"], (cell, strip)
    assert "█" in strip


def test_a_failed_slo_says_both_numbers_and_why(report: dict[str, Any]) -> None:
    report["slos"][0].update(passed=False, rule="latency_p95[outage] = 27 ms > 20 ms (max)")
    report["passed"] = False
    text = rendered(report)
    assert "FAIL │ latency_p95[outage] = 27 ms > 20 ms (max)" in text
    assert "FAILED" in text.splitlines()[0]


def test_markdown_has_slos_phases_and_breakers(report: dict[str, Any]) -> None:
    text = render_markdown(report)
    verdict = "PASSED" if report["passed"] else "FAILED"
    assert text.startswith(f"## short-outage · resilient · {verdict}")
    for slo in report["slos"]:
        assert f"| {'✅' if slo['passed'] else '❌'} | {slo['rule']} |" in text
    outage = report["client"]["phases"]["outage"]
    assert f"| outage | {outage['requests']} | {outage['rps']:.1f} |" in text
    first = report["breaker_timeline"][0]
    assert (f"| {first['t']:.2f} | inventory | {first['from']} | {first['to']} | "
            f"{first['reason']} |") in text


def test_junit_has_one_case_per_slo(report: dict[str, Any]) -> None:
    report["slos"][0]["passed"] = True
    report["slos"][1].update(passed=False, rule="breaker_time_to_open[inventory@outage] = "
                                                "2500 ms > 2000 ms (max)")
    root = ET.fromstring(render_junit([report]))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == str(2 + len(report["problems"]))
    assert suite.get("failures") == str(1 + len(report["problems"]))
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names[:2] == ["latency_p95[outage]", "breaker_time_to_open[inventory@outage]"]
    failure = suite.findall("testcase")[1].find("failure")
    assert failure is not None
    assert "2500 ms > 2000 ms" in (failure.get("message") or "")


def test_html_is_self_contained_with_its_charts(report: dict[str, Any]) -> None:
    page = render_html(report)
    # latency, req/s, failed and degraded %, policy activity, retries on their own scale,
    # the calls each service saw
    assert page.count("<svg") == 6
    assert 'aria-label="retries per second over time"' in page
    assert 'aria-label="% of requests over time"' in page
    assert "inventory: hang in outage" in page  # the cause, under what the policies did
    assert "<script" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    opened = next(m for m in report["breaker_timeline"] if m["to"] == "open")
    assert f"inventory open from {opened['t']:.2f}s" in page  # the breaker band's tooltip
    assert "PASSED" in page


def test_chart_axes_have_round_ticks() -> None:
    from reports.svg import nice_max

    assert nice_max(57.3) == (60, 20)  # not 0, 14.3, 28.7, ... of a 57.3 ms top
    assert nice_max(187.0) == (200, 50)
    assert nice_max(1000.0) == (1000, 250)
    for value in (0.42, 3.0, 9.9, 523.0, 12345.0):
        top, step = nice_max(value)
        assert value <= top <= value * 2.5 and round(top / step) <= 4
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 2.5, 5)  # 1, 2, 2.5 or 5 x 10^k


def test_fallbacks_stay_visible_under_the_refused_calls_line(report: dict[str, Any]) -> None:
    """In the outage every call the open breaker refused was served a fallback: the two
    lines are (nearly) the same numbers. The later one is dashed so the one under it
    shows."""
    from reports.svg import activity_chart

    chart = ET.fromstring(activity_chart(report))
    lines = {line.findtext("{http://www.w3.org/2000/svg}title"): line
             for line in chart.iter("{http://www.w3.org/2000/svg}polyline")}
    fallbacks = (lines["fallbacks"].get("points") or "").split()
    refused = (lines["not permitted"].get("points") or "").split()
    assert sum(f == r for f, r in zip(fallbacks, refused, strict=True)) > 0.8 * len(refused)
    assert lines["not permitted"].get("stroke-dasharray")
    assert not lines["fallbacks"].get("stroke-dasharray")
    assert not lines["attempts"].get("stroke-dasharray")
