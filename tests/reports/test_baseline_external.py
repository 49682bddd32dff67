"""Baseline comparison of two runs against an external BFF (--target): no BFF telemetry,
so amplification and breakers come from what the simulator saw, or a note says so."""

from __future__ import annotations

import copy
from typing import Any

from reports.baseline import compare


def external(report: dict[str, Any]) -> dict[str, Any]:
    """The report as `sim run --target` writes it: no downstreams, an empty timeline."""
    out = copy.deepcopy(report)
    out.update(target="http://127.0.0.1:1", downstreams={}, breaker_timeline=[])
    for score in out["scoring"].values():
        score.update(opens=0, false_trips=0)
        for phase in score["phases"].values():
            phase.update(time_to_open=None, time_to_close=None)
    return out


def test_more_inferred_opens_fail_an_external_baseline(report: dict[str, Any]) -> None:
    base, new = external(report), external(report)
    inventory = new["blackbox"]["services"]["inventory"]
    inventory["opens"] += 3
    result = compare(base, new)
    failed = [c["id"] for c in result["checks"] if not c["passed"]]
    assert failed == ["baseline:opens[inventory]"]
    assert result["passed"] is False
    assert any("inferred from the calls" in note for note in result["notes"])


def test_more_inferred_amplification_fails_an_external_baseline(
        report: dict[str, Any]) -> None:
    base, new = external(report), external(report)
    base["blackbox"]["services"]["cart"]["amplification"] = 1.0
    new["blackbox"]["services"]["cart"]["amplification"] = 2.5
    failed = [c for c in compare(base, new)["checks"] if not c["passed"]]
    assert [c["id"] for c in failed] == ["baseline:amplification[cart]"]
    assert "2.50x vs baseline 1.00x" in failed[0]["rule"]


def test_an_external_run_without_traffic_says_nothing_was_compared(
        report: dict[str, Any]) -> None:
    base, new = external(report), external(report)
    new["blackbox"] = {}
    result = compare(base, new)
    assert not any(c["metric"] in ("amplification", "opens", "false_trips")
                   for c in result["checks"])
    assert any(note.startswith("nothing compared about retry amplification")
               for note in result["notes"])


def test_our_bff_is_compared_on_its_own_telemetry(report: dict[str, Any]) -> None:
    result = compare(report, report)
    assert result["passed"] is True and result["notes"] == []
    assert any(c["id"] == "baseline:amplification[inventory]" for c in result["checks"])
