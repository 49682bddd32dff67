"""Comparing a run with a baseline report.json. Shared machines are noisy, so each rule
compares what is stable: ratios and counts almost exactly, latencies with a relative
tolerance and an absolute floor, and only in the worse direction (getting better never
fails a gate). Every check states both numbers and the rule (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reports.slo import format_value


@dataclass(frozen=True)
class Tolerance:
    latency_relative: float = 0.25  # a latency may grow by 25% ...
    latency_floor: float = 0.020  # ... and must grow by more than 20 ms to count
    ratio_absolute: float = 0.02  # error, degraded ratios: +2 points
    amplification_absolute: float = 0.10  # attempts per call: +0.1
    opens_absolute: int = 1  # breaker opens: +1
    time_to_open_relative: float = 0.5
    time_to_open_floor: float = 1.0


def _latency_checks(base: Mapping[str, Any], new: Mapping[str, Any], tol: Tolerance
                    ) -> Iterator[dict[str, Any]]:
    scopes = [("all", base["client"]["overall"], new["client"]["overall"])]
    scopes += [(name, stats, new["client"]["phases"].get(name))
               for name, stats in base["client"]["phases"].items()]
    for scope, old, now in scopes:
        for key in ("p50", "p95", "p99", "overhead_p99"):
            check_id = f"baseline:{key}[{scope}]"
            if now is None or not now.get("requests"):
                yield _missing(check_id, key, old.get(key), f"no requests in {scope}")
                continue
            if not old.get("requests"):
                continue
            before, after = float(old[key]), float(now[key])
            limit = max(before * (1 + tol.latency_relative), before + tol.latency_floor)
            passed = after <= limit
            change = (after - before) / before * 100 if before else 0.0
            rule = (f"{key}[{scope}] {format_value(after, 's')} vs baseline "
                    f"{format_value(before, 's')} ({change:+.0f}%): "
                    f"{'within' if passed else 'over'} the allowed "
                    f"+{tol.latency_relative * 100:.0f}% or "
                    f"+{tol.latency_floor * 1000:.0f} ms, whichever is larger")
            yield _check(check_id, key, before, after, passed, rule, "s")


def _ratio_checks(base: Mapping[str, Any], new: Mapping[str, Any], tol: Tolerance
                  ) -> Iterator[dict[str, Any]]:
    for key in ("error_ratio", "degraded_ratio"):
        before = float(base["client"]["overall"][key])
        after = float(new["client"]["overall"][key])
        passed = after <= before + tol.ratio_absolute
        rule = (f"{key} {format_value(after, 'ratio')} vs baseline "
                f"{format_value(before, 'ratio')}: allowed +"
                f"{tol.ratio_absolute * 100:.0f} points")
        yield _check(f"baseline:{key}", key, before, after, passed, rule, "ratio")


def _amplification_check(name: str, before: float, after: float | None, why: str,
                         tol: Tolerance) -> dict[str, Any]:
    check_id = f"baseline:amplification[{name}]"
    if after is None:
        return _missing(check_id, "amplification", before, why)
    passed = after <= before + tol.amplification_absolute
    rule = (f"retry amplification[{name}] {after:.2f}x vs baseline {before:.2f}x: "
            f"allowed +{tol.amplification_absolute:.2f}")
    return _check(check_id, "amplification", before, after, passed, rule, "x")


def _telemetry_checks(base: Mapping[str, Any], new: Mapping[str, Any], tol: Tolerance
                      ) -> Iterator[dict[str, Any]]:
    """Amplification and breakers from our BFF's own telemetry."""
    for name, old in base.get("downstreams", {}).items():
        now = new.get("downstreams", {}).get(name)
        if not old.get("calls"):
            continue
        after = float(now["amplification"]) if now and now.get("calls") else None
        yield _amplification_check(name, float(old["amplification"]), after,
                                   f"no calls to {name}", tol)
    for name, old in base.get("scoring", {}).items():
        now = new.get("scoring", {}).get(name, {"opens": 0, "false_trips": 0, "phases": {}})
        passed = now["false_trips"] <= old["false_trips"]
        yield _check(f"baseline:false_trips[{name}]", "false_trips", old["false_trips"],
                     now["false_trips"], passed,
                     f"false trips[{name}] {now['false_trips']} vs baseline "
                     f"{old['false_trips']}: none more allowed", "count")
        yield from _time_to_open_checks(name, old["phases"], now["phases"], tol)


def _inferred_checks(base: Mapping[str, Any], new: Mapping[str, Any], tol: Tolerance
                     ) -> Iterator[dict[str, Any]]:
    """Amplification and breakers as inferred from the calls the simulator saw
    (reports/blackbox.py): all there is to compare for an external BFF."""
    for name, old in base["blackbox"]["services"].items():
        now = new["blackbox"]["services"].get(name, {})
        if old.get("amplification") is not None:
            yield _amplification_check(name, float(old["amplification"]),
                                       now.get("amplification"), f"no pages that call {name}",
                                       tol)
        after = now.get("opens", 0)
        yield _check(f"baseline:opens[{name}]", "opens", old["opens"], after,
                     after <= old["opens"] + tol.opens_absolute,
                     f"breaker opens[{name}] {after} vs baseline {old['opens']}: allowed "
                     f"+{tol.opens_absolute} [inferred from its traffic]", "count")
        yield from _time_to_open_checks(name, old["phases"], now.get("phases", {}), tol)


def _time_to_open_checks(name: str, old: Mapping[str, Any], new: Mapping[str, Any],
                         tol: Tolerance) -> Iterator[dict[str, Any]]:
    for phase, entry in old.items():
        before = entry.get("time_to_open")
        if before is None:
            continue
        after = new.get(phase, {}).get("time_to_open")
        check_id = f"baseline:time_to_open[{name},{phase}]"
        if after is None:
            yield _check(check_id, "time_to_open", before, None, False,
                         f"{name} breaker never opened in {phase}; baseline opened "
                         f"after {format_value(before, 's')}", "s")
            continue
        limit = max(before * (1 + tol.time_to_open_relative),
                    before + tol.time_to_open_floor)
        yield _check(check_id, "time_to_open", before, after, after <= limit,
                     f"time to open[{name}, {phase}] {format_value(after, 's')} vs "
                     f"baseline {format_value(before, 's')}: allowed "
                     f"+{tol.time_to_open_relative * 100:.0f}% or "
                     f"+{tol.time_to_open_floor:g} s", "s")


def _policy_checks(base: Mapping[str, Any], new: Mapping[str, Any], tol: Tolerance
                   ) -> tuple[list[dict[str, Any]], list[str]]:
    """Amplification and breaker checks from the best source both runs have, and a note
    when that is not our BFF's telemetry: an external BFF never passes silently."""
    if _has_telemetry(base) and _has_telemetry(new):
        return list(_telemetry_checks(base, new, tol)), []
    if all(report.get("blackbox", {}).get("services") for report in (base, new)):
        return list(_inferred_checks(base, new, tol)), [
            "retry amplification and breakers compared as inferred from the calls the "
            "simulator saw: an external BFF reports no telemetry here"]
    return [], ["nothing compared about retry amplification or breakers: the runs share "
                "neither the BFF's telemetry nor the calls the simulator saw"]


def _has_telemetry(report: Mapping[str, Any]) -> bool:
    """Our BFF ran and reported its calls (an external one leaves `downstreams` empty)."""
    return report.get("target") is None and bool(report.get("downstreams"))


def _check(check_id: str, metric: str, before: Any, after: Any, passed: bool, rule: str,
           unit: str) -> dict[str, Any]:
    return {"id": check_id, "metric": metric, "baseline": before, "value": after,
            "passed": passed, "rule": rule, "unit": unit}


def _missing(check_id: str, metric: str, before: Any, why: str) -> dict[str, Any]:
    return _check(check_id, metric, before, None, False,
                  f"{check_id}: {why} (the baseline had data)", "")


def compare(base: Mapping[str, Any], new: Mapping[str, Any],
            tolerance: Tolerance | None = None) -> dict[str, Any]:
    tol = tolerance or Tolerance()
    policy, notes = _policy_checks(base, new, tol)
    checks = [*_latency_checks(base, new, tol), *_ratio_checks(base, new, tol), *policy]
    if base["scenario"]["name"] != new["scenario"]["name"]:
        notes.append(f"baseline is scenario {base['scenario']['name']!r}, "
                     f"this run is {new['scenario']['name']!r}")
    return {"scenario": base["scenario"]["name"], "policy": base["policy"]["name"],
            "checks": checks, "passed": all(c["passed"] for c in checks), "notes": notes}
