"""Client-side statistics from raw samples: exact percentiles per phase and per second."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

COMPLETE, DEGRADED, FAILED = 0, 1, 2


@dataclass(frozen=True)
class Sample:
    t: float  # seconds since the timeline was armed
    latency: float  # seconds, as the client saw it
    status: int
    outcome: int  # COMPLETE | DEGRADED | FAILED
    critical: float  # seconds of downstream time on the critical path (Server-Timing)


def samples_from_raw(raw: Sequence[Sequence[float]], armed_at: float) -> list[Sample]:
    """Rows of [epoch, latency ms, status, outcome, critical ms] from the locustfile."""
    return sorted(
        (Sample(row[0] - armed_at, row[1] / 1000, int(row[2]), int(row[3]), row[4] / 1000)
         for row in raw),
        key=lambda s: s.t)


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(samples: Sequence[Sample], seconds: float) -> dict[str, Any]:
    latencies = sorted(s.latency for s in samples)
    answered = [s for s in samples if s.status == 200]
    overhead = sorted(max(0.0, s.latency - s.critical) for s in answered)
    count = len(samples)
    failed = sum(s.outcome == FAILED for s in samples)
    degraded = sum(s.outcome == DEGRADED for s in samples)
    return {
        "requests": count,
        "rps": count / seconds if seconds > 0 else 0.0,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": latencies[-1] if latencies else 0.0,
        "complete": count - failed - degraded,
        "degraded": degraded,
        "failed": failed,
        "error_ratio": failed / count if count else 0.0,
        "degraded_ratio": degraded / count if count else 0.0,
        "overhead_p50": percentile(overhead, 50),
        "overhead_p99": percentile(overhead, 99),
        "statuses": _statuses(samples),
    }


def _statuses(samples: Sequence[Sample]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sample in samples:
        key = str(sample.status) if sample.status else "no answer"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def per_phase(samples: Sequence[Sample],
              bounds: Sequence[tuple[str, float, float]]) -> dict[str, dict[str, Any]]:
    """bounds: (phase, start, end) in seconds since arming; a sample belongs to the phase
    in which its request started."""
    out: dict[str, dict[str, Any]] = {}
    for name, start, end in bounds:
        inside = [s for s in samples if start <= s.t < end]
        out[name] = summarize(inside, end - start)
    return out


def series(samples: Sequence[Sample], step: float = 1.0) -> list[dict[str, Any]]:
    """Per-`step` buckets for charts: requests, percentiles, failed and degraded counts."""
    buckets: dict[int, list[Sample]] = {}
    for sample in samples:
        if sample.t >= 0:
            buckets.setdefault(int(sample.t // step), []).append(sample)
    rows = []
    for index in range(max(buckets) + 1 if buckets else 0):
        inside = buckets.get(index, [])
        latencies = sorted(s.latency for s in inside)
        rows.append({
            "t": index * step,
            "requests": len(inside),
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "failed": sum(s.outcome == FAILED for s in inside),
            "degraded": sum(s.outcome == DEGRADED for s in inside),
        })
    return rows
