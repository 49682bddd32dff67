"""SLO verdicts: each names the measured value, the threshold and the rule (pure)."""

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
    passed: bool
    rule: str
    unit: str  # "s" | "ratio" | "count" | "x"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "metric": self.metric, "value": self.value,
                "threshold": self.threshold, "op": self.op, "passed": self.passed,
                "rule": self.rule, "unit": self.unit}


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


def measure(slo: Slo, report: Mapping[str, Any]) -> tuple[float | None, str, str]:
    """(value, unit, note) of one SLO's metric in a report; None when there is no data."""
    metric, phase, downstream = slo.metric, slo.phase, slo.downstream
    client = report["client"]
    scope = client["phases"].get(phase) if phase else client["overall"]
    if metric in DURATION_METRICS or metric in RATIO_METRICS or \
            metric == "requests_per_second":
        if not scope or not scope["requests"]:
            return None, _unit(metric), f"no requests{' in ' + phase if phase else ''}"
        key = DURATION_METRICS.get(metric) or RATIO_METRICS.get(metric) or "rps"
        return float(scope[key]), _unit(metric), ""
    if metric == "retry_amplification":
        stats = report["downstreams"].get(downstream, {})
        if not stats.get("calls"):
            return None, "x", f"no calls to {downstream}"
        return float(stats["amplification"]), "x", ""
    if metric == "breaker_opens":
        return float(report["scoring"].get(downstream, {}).get("opens", 0)), "count", ""
    if metric == "breaker_time_to_open":
        entry = report["scoring"].get(downstream, {}).get("phases", {}).get(phase, {})
        value = entry.get("time_to_open")
        return value, "s", "" if value is not None else f"{downstream} never opened in {phase}"
    return None, "", f"unknown metric {metric}"


def _unit(metric: str) -> str:
    if metric in DURATION_METRICS:
        return "s"
    return "ratio" if metric in RATIO_METRICS else "count"


def evaluate(slos: Iterable[Slo], report: Mapping[str, Any]) -> list[Verdict]:
    verdicts = []
    for slo in slos:
        value, unit, note = measure(slo, report)
        op, threshold = slo.op, float(slo.threshold)
        if value is None:
            passed = False
            rule = f"{slo.id}: {note or 'no data'}; needs {'<=' if op == 'max' else '>='} " \
                   f"{format_value(threshold, unit)}"
        else:
            passed = value <= threshold if op == "max" else value >= threshold
            sign = ("<=" if passed else ">") if op == "max" else (">=" if passed else "<")
            rule = f"{slo.id} = {format_value(value, unit)} {sign} " \
                   f"{format_value(threshold, unit)} ({op})"
        if not passed and slo.why:
            rule += f" ({slo.why})"
        verdicts.append(Verdict(slo.id, slo.metric, value, threshold, op, passed, rule, unit))
    return verdicts
