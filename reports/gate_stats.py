"""The gate's statistics (pure): confidence intervals of B - A, and the three-way verdict.

- Within a run: latencies get a percentile bootstrap of the difference in p50, p95, p99
  and mean: each resample draws, with replacement, as many latencies as were measured in
  each stratum (a round; side by side, a 1-second window of a round, which A and B
  share, so noise that comes and goes hits both alike and does not widen the interval),
  A and B separately. RESAMPLES resamples, seeded with SEED: the same samples always
  give the same interval. Quantiles are nearest-rank, as in the report; the interval is
  the (1-c)/2 and (1+c)/2 quantiles of the resampled differences. Ratios (errors,
  degraded) get Newcombe's hybrid score interval for a difference of two proportions
  (Wilson intervals combined: sound at 0 % and 100 %); rates (attempts per call beyond
  the first, breaker opens per round) a normal interval for a difference of two Poisson
  rates, 0.5 added to each count so that zero counts get a width.
- Over time: requests close in time are not independent (a breaker that stayed open, a
  neighbour that was busy for a few seconds), so each latency interval is widened to
  also hold a paired t interval (Student's t, k - 1 degrees of freedom) of the mean of k
  per-block differences B - A: the batch-means method. Side by side, A and B share the
  clock, so a block is BATCH_WINDOWS consecutive windows of one round, A's and B's
  requests of the same seconds (a state that held for a few seconds counts once, not once
  per request; a 45 s run gives ~9 blocks). Otherwise (separate runs, alternating
  rounds) a block is a round. Fewer than MIN_ROUNDS blocks give no usable spread: the
  interval is the bootstrap one alone, and the gate says so.
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
MIN_ROUNDS = 3  # fewer blocks (rounds or batches) give no usable spread between them
BATCH_WINDOWS = 5  # side by side: consecutive 1 s windows per block of the batch means
MIN_BATCH_SAMPLES = 20  # per side: a block with fewer joins the one before it
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


Rounds = Sequence[Sequence[Sequence[float]]]  # round -> stratum (time window) -> values


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


def rounds_interval(diffs: Sequence[float], confidence: float = 0.95
                    ) -> tuple[float, float] | None:
    """Paired t interval of the mean per-block (round or batch) difference (None under
    MIN_ROUNDS blocks)."""
    if len(diffs) < MIN_ROUNDS:
        return None
    values = np.asarray(diffs, dtype=float)
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, len(values) - 1)
                 * values.std(ddof=1) / math.sqrt(len(values)))
    return float(values.mean()) - half, float(values.mean()) + half


def widen(interval: Interval, rounds: tuple[float, float] | None) -> Interval:
    """The smallest interval holding both the within-run one and the one over rounds."""
    if rounds is None:
        return interval
    return Interval(interval.estimate, min(interval.low, rounds[0]),
                    max(interval.high, rounds[1]))


def _blocks(a: Rounds, b: Rounds, batch: int | None
            ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(A's, B's) latencies per block: a round, or with `batch` (paired sides: the same
    windows on both) `batch` consecutive windows of a round, where a block with fewer
    than MIN_BATCH_SAMPLES on a side joins the one before it in its round."""
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for ra, rb in zip(a, b, strict=True):
        if batch is None:
            groups = [(ra, rb)]
        else:
            groups = [(ra[i:i + batch], rb[i:i + batch]) for i in range(0, len(ra), batch)]
        merged: list[tuple[list[float], list[float]]] = []
        for wa, wb in groups:
            xa, xb = [x for w in wa for x in w], [x for w in wb for x in w]
            if batch and merged and min(len(xa), len(xb)) < MIN_BATCH_SAMPLES:
                merged[-1][0].extend(xa)
                merged[-1][1].extend(xb)
            else:
                merged.append((xa, xb))
        if batch and len(merged) > 1 and min(map(len, merged[0])) < MIN_BATCH_SAMPLES:
            first = merged.pop(0)  # a thin first block joins the second
            merged[0] = (first[0] + merged[0][0], first[1] + merged[0][1])
        out += [(np.asarray(xa, dtype=float), np.asarray(xb, dtype=float))
                for xa, xb in merged if len(xa) and len(xb)]
    return out


def bootstrap_latency(a: Rounds, b: Rounds, confidence: float = 0.95,
                      resamples: int = RESAMPLES, seed: int = SEED,
                      batch: int | None = None
                      ) -> dict[str, tuple[float, float, Interval]]:
    """Per statistic: (A's value, B's value, interval of B - A). `a` and `b`: latencies
    in seconds, per round, per time window (the same rounds on both sides). `batch`:
    the sides were measured at the same time, window i of A beside window i of B, and
    the batch means use blocks of `batch` windows instead of whole rounds."""
    strata_a = [np.asarray(w, dtype=float) for r in a for w in r]
    strata_b = [np.asarray(w, dtype=float) for r in b for w in r]
    point_a, point_b = _point(np.concatenate(strata_a)), _point(np.concatenate(strata_b))
    rng = np.random.default_rng(seed)
    diffs = _resampled(strata_b, rng, resamples) - _resampled(strata_a, rng, resamples)
    tail = (1 - confidence) / 2 * 100
    lows = np.percentile(diffs, tail, axis=0)
    highs = np.percentile(diffs, 100 - tail, axis=0)
    per_block = [_point(xb) - _point(xa) for xa, xb in _blocks(a, b, batch)]
    out = {}
    for i, name in enumerate(LATENCY_STATS):
        within = Interval(float(point_b[i] - point_a[i]), float(lows[i]), float(highs[i]))
        over_blocks = rounds_interval([float(d[i]) for d in per_block], confidence)
        out[name] = (float(point_a[i]), float(point_b[i]), widen(within, over_blocks))
    return out


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
