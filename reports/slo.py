"""SLO verdicts: each names the measured value, the threshold and the rule (pure).

A verdict is "pass", "fail" or "n/a": an SLO whose metric this run cannot measure (an
external BFF's retries during a `down` fault, a downstream nobody called) is n/a, neither
passed nor failed. A measured absence is a value: a breaker that never opened fails
`breaker_time_to_open`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scenarios.model import Slo

DURATION_METRICS = {"latency_p50": "p50", "latency_p95": "p95", "latency_p99": "p99",
                    "latency_max": "max", "overhead_p99": "overhead_p99"}
RATIO_METRICS = {"error_ratio": "error_ratio", "degraded_ratio": "degraded_ratio"}


@dataclass(frozen=True)
class Verdict:
    id: str
    metric: str
    value: float | None
    threshold: float
    op: str  # "max" (value <= threshold) | "min" (value >= threshold)
    status: str  # "pass" | "fail" | "n/a"
    rule: str
    unit: str  # "s" | "ratio" | "count" | "x"
    source: str = "client"  # client | bff (its own telemetry) | blackbox (its traffic)

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "metric": self.metric, "value": self.value,
                "threshold": self.threshold, "op": self.op, "passed": self.passed,
                "status": self.status, "rule": self.rule, "unit": self.unit,
                "source": self.source}


def status_of(verdict: Mapping[str, Any]) -> str:
    """A verdict's status: "passed" decides pass or fail (also in reports written before
    "status" existed); any other status (n/a) is kept."""
    status = verdict.get("status")
    if status in (None, "pass", "fail"):
        return "pass" if verdict["passed"] else "fail"
    return str(status)


class Measure:
    """What `measure` found: a value, a measured absence (`never`) or nothing (n/a)."""

    def __init__(self, value: float | None, unit: str, note: str = "", *,
                 never: bool = False, source: str = "client") -> None:
        self.value, self.unit, self.note = value, unit, note
        self.never, self.source = never, source


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:g}"


def measure(slo: Slo, report: Mapping[str, Any]) -> Measure:
    metric, phase = slo.metric, slo.phase
    client = report["client"]
    scope = client["phases"].get(phase) if phase else client["overall"]
    if metric in DURATION_METRICS or metric in RATIO_METRICS or \
            metric == "requests_per_second":
        if not scope or not scope["requests"]:
            return Measure(None, _unit(metric), f"no requests{' in ' + phase if phase else ''}")
        key = DURATION_METRICS.get(metric) or RATIO_METRICS.get(metric) or "rps"
        return Measure(float(scope[key]), _unit(metric))
    if metric in ("retry_amplification", "breaker_opens", "breaker_time_to_open"):
        # Our BFF's own telemetry when it ran; an external BFF's traffic otherwise.
        if report.get("target") is None and report.get("downstreams"):
            return _from_telemetry(slo, report)
        return _from_traffic(slo, report.get("blackbox") or {})
    return Measure(None, "", f"unknown metric {metric}")


def _from_telemetry(slo: Slo, report: Mapping[str, Any]) -> Measure:
    downstream, phase = slo.downstream, slo.phase
    if slo.metric == "retry_amplification":
        stats = report["downstreams"].get(downstream, {})
        if not stats.get("calls"):
            return Measure(None, "x", f"no calls to {downstream}", source="bff")
        return Measure(float(stats["amplification"]), "x", source="bff")
    score = report["scoring"].get(downstream, {})
    if slo.metric == "breaker_opens":
        return Measure(float(score.get("opens", 0)), "count", source="bff")
    value = score.get("phases", {}).get(phase, {}).get("time_to_open")
    return Measure(value, "s", "" if value is not None else
                   f"{downstream} never opened in {phase}", never=value is None, source="bff")


def _from_traffic(slo: Slo, inferred: Mapping[str, Any]) -> Measure:
    downstream, phase = slo.downstream or "", slo.phase
    service = inferred.get("services", {}).get(downstream)
    unit = {"retry_amplification": "x", "breaker_opens": "count"}.get(slo.metric, "s")
    if service is None:
        return Measure(None, unit, "no traffic recorded", source="blackbox")
    if slo.metric == "retry_amplification":
        value = service["amplification"]
        return Measure(value, unit, "" if value is not None else
                       f"no pages that call {downstream}", source="blackbox")
    if slo.metric == "breaker_opens":
        return Measure(float(service["opens"]), unit, source="blackbox")
    entry = service["phases"].get(phase)
    if entry is None or not entry["observable"]:
        return Measure(None, unit, f"{downstream} refused connections in {phase}: its "
                                   f"attempts are not visible" if entry else
                       f"no fault on {downstream} in {phase}", source="blackbox")
    value = entry["time_to_open"]
    return Measure(value, unit, "" if value is not None else
                   f"calls to {downstream} never stopped in {phase}", never=value is None,
                   source="blackbox")


def _unit(metric: str) -> str:
    if metric in DURATION_METRICS:
        return "s"
    return "ratio" if metric in RATIO_METRICS else "count"


def evaluate(slos: Iterable[Slo], report: Mapping[str, Any]) -> list[Verdict]:
    verdicts = []
    for slo in slos:
        found = measure(slo, report)
        value, unit = found.value, found.unit
        op, threshold = slo.op, float(slo.threshold)
        needs = f"{'<=' if op == 'max' else '>='} {format_value(threshold, unit)}"
        if value is None:
            status = "fail" if found.never else "n/a"
            rule = f"{slo.id}: {found.note or 'no data'}; needs {needs}"
            if status == "n/a":
                rule += " (not measurable in this run)"
        else:
            passed = value <= threshold if op == "max" else value >= threshold
            status = "pass" if passed else "fail"
            sign = ("<=" if passed else ">") if op == "max" else (">=" if passed else "<")
            rule = f"{slo.id} = {format_value(value, unit)} {sign} " \
                   f"{format_value(threshold, unit)} ({op})"
        if found.source == "blackbox":
            rule += " [inferred from its traffic]"
        if status == "fail" and slo.why:
            rule += f" ({slo.why})"
        verdicts.append(Verdict(slo.id, slo.metric, value, threshold, op, status, rule, unit,
                                found.source))
    return verdicts
