"""The gate's edge cases: just inside, just outside, a missing metric; baselines."""

from __future__ import annotations

import copy
from typing import Any

from reports.baseline import compare
from reports.slo import evaluate
from scenarios.model import Slo


def test_slo_just_inside_and_just_outside(report: dict[str, Any]) -> None:
    p95 = report["client"]["phases"]["outage"]["p95"]
    inside, outside = evaluate([Slo("latency_p95", max=p95, phase="outage"),
                                Slo("latency_p95", max=p95 - 1e-6, phase="outage")], report)
    assert inside.passed
    assert not outside.passed
    assert outside.rule == (f"latency_p95[outage] = {p95 * 1000:.0f} ms > "
                            f"{(p95 - 1e-6) * 1000:.0f} ms (max)")


def test_min_thresholds(report: dict[str, Any]) -> None:
    rps = report["client"]["overall"]["rps"]
    ok, low = evaluate([Slo("requests_per_second", min=rps),
                        Slo("requests_per_second", min=rps + 0.01)], report)
    assert ok.passed
    assert not low.passed


def test_missing_metric_fails_with_the_reason(report: dict[str, Any]) -> None:
    report["client"]["phases"]["outage"]["requests"] = 0
    (verdict,) = evaluate([Slo("latency_p99", max=1.0, phase="outage")], report)
    assert not verdict.passed
    assert verdict.value is None
    assert "no requests in outage" in verdict.rule


def test_a_breaker_that_never_opened_fails_time_to_open(report: dict[str, Any]) -> None:
    report["scoring"]["inventory"]["phases"]["outage"]["time_to_open"] = None
    (verdict,) = evaluate([Slo("breaker_time_to_open", max=5.0, phase="outage",
                               downstream="inventory", why="the breaker must cut a hang")],
                          report)
    assert not verdict.passed
    assert "inventory never opened in outage" in verdict.rule
    assert "(the breaker must cut a hang)" in verdict.rule


def test_baseline_against_itself_passes(report: dict[str, Any]) -> None:
    result = compare(report, report)
    assert result["passed"]
    assert len(result["checks"]) > 10


def test_latency_tolerance_is_relative_with_a_floor(report: dict[str, Any]) -> None:
    def p99_check(base_p99: float, new_p99: float) -> dict[str, Any]:
        base, new = copy.deepcopy(report), copy.deepcopy(report)
        base["client"]["overall"]["p99"], new["client"]["overall"]["p99"] = base_p99, new_p99
        return next(c for c in compare(base, new)["checks"] if c["id"] == "baseline:p99[all]")

    # 25% of a 200 ms p99 is past the floor: +51 ms fails.
    check = p99_check(0.2, 0.2 * 1.25 + 0.001)
    assert not check["passed"]
    assert "allowed +25% or +20 ms" in check["rule"]
    # The floor (20 ms) is larger than 25% of a 40 ms p99: +19 ms passes, +30 ms fails.
    assert p99_check(0.04, 0.059)["passed"]
    assert not p99_check(0.04, 0.07)["passed"]
    base_p99 = report["client"]["overall"]["p99"]
    better = copy.deepcopy(report)
    better["client"]["overall"]["p99"] = base_p99 / 2
    assert compare(report, better)["passed"]


def test_amplification_and_breaker_regressions_are_caught(report: dict[str, Any]) -> None:
    worse = copy.deepcopy(report)
    worse["downstreams"]["inventory"]["amplification"] += 0.2
    worse["scoring"]["inventory"]["phases"]["outage"]["time_to_open"] = None
    failed = {c["id"] for c in compare(report, worse)["checks"] if not c["passed"]}
    assert failed == {"baseline:amplification[inventory]",
                      "baseline:time_to_open[inventory,outage]"}
