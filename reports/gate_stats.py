"""The gate's statistics (pure): confidence intervals of B - A, and the three-way verdict.

- Latencies: a percentile bootstrap of the difference in p50, p95, p99 and mean. Each
  resample draws, with replacement, as many latencies as were measured from every round
  of A and of B separately (stratified by round, so the spread between rounds, which hits
  A and B alike in an A/B run, does not widen the interval). RESAMPLES resamples, seeded
  with SEED: the same samples always give the same interval. Quantiles are nearest-rank,
  as in the report. The interval is the (1-c)/2 and (1+c)/2 quantiles of the resampled
  differences.
- Ratios (errors, degraded): Newcombe's hybrid score interval for a difference of two
  proportions (Wilson intervals combined), which stays sound at 0 % and 100 %.
- Rates (attempts per call beyond the first, breaker opens per round): a normal interval for a difference
  of two Poisson rates, with 0.5 added to each count so that zero counts get a width.
- Mann-Whitney U (one-sided, B larger) as a second opinion on latencies, as benchstat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as scipy_stats

RESAMPLES = 2000
SEED = 0
CHUNK = 100  # resamples drawn at once: bounds memory at CHUNK x samples floats
LATENCY_STATS = ("p50", "p95", "p99", "mean")
QUANTILES = (0.50, 0.95, 0.99)

Verdict = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True)
class Interval:
    estimate: float  # B - A
    low: float
    high: float

    def verdict(self, allowed: float) -> Verdict:
        """Fail only when the whole interval is beyond the allowed regression; pass only
        when the whole interval is within it; anything else the data cannot decide."""
        if self.low > allowed:
            return "fail"
        if self.high <= allowed:
            return "pass"
        return "inconclusive"


def _point(values: np.ndarray) -> np.ndarray:
    return np.array([*np.quantile(values, QUANTILES, method="inverted_cdf"),
                     values.mean()])


def _resampled(strata: Sequence[np.ndarray], rng: np.random.Generator,
               count: int) -> np.ndarray:
    """(count, 4): p50, p95, p99, mean of `count` stratified resamples."""
    out = np.empty((count, len(LATENCY_STATS)))
    groups = [g for g in strata if len(g)]
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        draws = np.concatenate([g[rng.integers(0, len(g), size=(size, len(g)))]
                                for g in groups], axis=1)
        out[start:start + size, :3] = np.quantile(draws, QUANTILES, axis=1,
                                                  method="inverted_cdf").T
        out[start:start + size, 3] = draws.mean(axis=1)
    return out


def bootstrap_latency(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]],
                      confidence: float = 0.95, resamples: int = RESAMPLES,
                      seed: int = SEED) -> dict[str, tuple[float, float, Interval]]:
    """Per statistic: (A's value, B's value, interval of B - A). `a` and `b` are latency
    samples in seconds, one sequence per stratum (round, or time window of a round)."""
    strata_a = [np.asarray(r, dtype=float) for r in a]
    strata_b = [np.asarray(r, dtype=float) for r in b]
    point_a = _point(np.concatenate(strata_a))
    point_b = _point(np.concatenate(strata_b))
    rng = np.random.default_rng(seed)
    diffs = _resampled(strata_b, rng, resamples) - _resampled(strata_a, rng, resamples)
    tail = (1 - confidence) / 2 * 100
    lows = np.percentile(diffs, tail, axis=0)
    highs = np.percentile(diffs, 100 - tail, axis=0)
    return {name: (float(point_a[i]), float(point_b[i]),
                   Interval(float(point_b[i] - point_a[i]), float(lows[i]), float(highs[i])))
            for i, name in enumerate(LATENCY_STATS)}


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float | None:
    """One-sided p-value that B's latencies are stochastically larger than A's."""
    if len(a) < 2 or len(b) < 2:
        return None
    result = scipy_stats.mannwhitneyu(np.asarray(b), np.asarray(a), alternative="greater")
    return float(result.pvalue)


def _z(confidence: float) -> float:
    return float(scipy_stats.norm.ppf(0.5 + confidence / 2))


def wilson(successes: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    if total == 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z / (1 + z * z / total) * math.sqrt(p * (1 - p) / total + z * z / (4 * total ** 2))
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion_difference(a_hits: int, a_total: int, b_hits: int, b_total: int,
                          confidence: float = 0.95) -> Interval:
    """Newcombe (1998) method 10: the interval of p_B - p_A."""
    pa = a_hits / a_total if a_total else 0.0
    pb = b_hits / b_total if b_total else 0.0
    la, ua = wilson(a_hits, a_total, confidence)
    lb, ub = wilson(b_hits, b_total, confidence)
    d = pb - pa
    return Interval(d, d - math.sqrt((pb - lb) ** 2 + (ua - pa) ** 2),
                    d + math.sqrt((ub - pb) ** 2 + (pa - la) ** 2))


def rate_difference(a_count: float, a_exposure: float, b_count: float, b_exposure: float,
                    confidence: float = 0.95) -> Interval:
    """Interval of b_count/b_exposure - a_count/a_exposure for Poisson counts."""
    if a_exposure <= 0 or b_exposure <= 0:
        return Interval(0.0, -math.inf, math.inf)
    d = b_count / b_exposure - a_count / a_exposure
    # A count may be a net excess (retries minus calls made without an attempt): its
    # size is what varies.
    spread = math.sqrt((abs(b_count) + 0.5) / b_exposure ** 2 +
                       (abs(a_count) + 0.5) / a_exposure ** 2)
    z = _z(confidence)
    return Interval(d, d - z * spread, d + z * spread)
