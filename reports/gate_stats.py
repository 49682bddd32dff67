"""The gate's statistics (pure): confidence intervals of B - A, and the three-way verdict.

- Latencies: a two-stage percentile bootstrap of the difference in p50, p95, p99 and
  mean. Stage one draws rounds with replacement, the same rounds for A and B: requests
  of one round are not independent (a breaker that opened, a neighbour that was busy),
  so the round is the unit that repeats; with one round this stage does nothing. Stage
  two draws, with replacement, as many latencies as were measured in each time window
  of each drawn round, A and B separately: in a side-by-side run A and B share each
  1-second window, so noise that comes and goes hits both alike and does not widen the
  interval. RESAMPLES resamples, seeded with SEED: the same samples always give the
  same interval. Quantiles are nearest-rank, as in the report. The interval is the
  (1-c)/2 and (1+c)/2 quantiles of the resampled differences.
- Ratios (errors, degraded): Newcombe's hybrid score interval for a difference of two
  proportions (Wilson intervals combined), which stays sound at 0 % and 100 %, widened
  by the overdispersion between rounds (quasi-binomial).
- Rates (attempts per call beyond the first, breaker opens per round): a normal
  interval for a difference of two Poisson rates, with 0.5 added to each count so that
  zero counts get a width, widened the same way (quasi-Poisson).
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


Rounds = Sequence[Sequence[Sequence[float]]]  # round -> stratum (time window) -> values


def _point(values: np.ndarray) -> np.ndarray:
    return np.array([*np.quantile(values, QUANTILES, method="inverted_cdf"),
                     values.mean()])


def _weighted_stats(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise nearest-rank quantiles and mean of weighted values: (rows, 4)."""
    order = np.argsort(values, axis=1)
    ranked = np.take_along_axis(values, order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    total = cumulative[:, -1:]
    out = np.empty((values.shape[0], len(LATENCY_STATS)))
    for column, q in enumerate(QUANTILES):
        first = np.argmax(cumulative >= q * total - 1e-9, axis=1)
        out[:, column] = ranked[np.arange(values.shape[0]), first]
    out[:, 3] = (values * weights).sum(axis=1) / total[:, 0]
    return out


def _resampled(rounds: Sequence[Sequence[np.ndarray]], round_weights: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """(resamples, 4): p50, p95, p99, mean of two-stage resamples. Stage one picks rounds
    with replacement (`round_weights`: how often each round was picked, shared by A and
    B); stage two draws within each time window of each round."""
    groups = [(index, g) for index, strata in enumerate(rounds) for g in strata if len(g)]
    column_round = np.concatenate([np.full(len(g), index) for index, g in groups])
    count = len(round_weights)
    out = np.empty((count, len(LATENCY_STATS)))
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        draws = np.concatenate([g[rng.integers(0, len(g), size=(size, len(g)))]
                                for _, g in groups], axis=1)
        weights = round_weights[start:start + size][:, column_round]
        out[start:start + size] = _weighted_stats(draws, weights)
    return out


def bootstrap_latency(a: Rounds, b: Rounds, confidence: float = 0.95,
                      resamples: int = RESAMPLES, seed: int = SEED
                      ) -> dict[str, tuple[float, float, Interval]]:
    """Per statistic: (A's value, B's value, interval of B - A). `a` and `b`: latencies
    in seconds, per round, per time window (the same rounds on both sides)."""
    strata_a = [[np.asarray(w, dtype=float) for w in r] for r in a]
    strata_b = [[np.asarray(w, dtype=float) for w in r] for r in b]
    point_a = _point(np.concatenate([w for r in strata_a for w in r]))
    point_b = _point(np.concatenate([w for r in strata_b for w in r]))
    rng = np.random.default_rng(seed)
    rounds = len(strata_a)
    picks = rng.multinomial(rounds, [1 / rounds] * rounds, size=resamples).astype(float) \
        if rounds > 1 else np.ones((resamples, 1))
    diffs = _resampled(strata_b, picks, rng) - _resampled(strata_a, picks, rng)
    diffs = diffs[~np.isnan(diffs).any(axis=1)]  # a pick of rounds without any sample
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
                          confidence: float = 0.95, a_phi: float = 1.0,
                          b_phi: float = 1.0) -> Interval:
    """Newcombe (1998) method 10: the interval of p_B - p_A; each side's Wilson distances
    widened by sqrt(phi), its overdispersion between rounds."""
    pa = a_hits / a_total if a_total else 0.0
    pb = b_hits / b_total if b_total else 0.0
    la, ua = wilson(a_hits, a_total, confidence)
    lb, ub = wilson(b_hits, b_total, confidence)
    d = pb - pa
    return Interval(d, d - math.sqrt(b_phi * (pb - lb) ** 2 + a_phi * (ua - pa) ** 2),
                    d + math.sqrt(b_phi * (ub - pb) ** 2 + a_phi * (pa - la) ** 2))


def binomial_dispersion(hits: Sequence[int], totals: Sequence[int]) -> float:
    """Quasi-binomial phi: Pearson chi-square of the rounds' ratios around the pooled one
    over (rounds - 1), at least 1. Requests of one round share its conditions (a breaker
    that stayed open), so rounds can differ more than independent requests would."""
    used = [(h, n) for h, n in zip(hits, totals, strict=True) if n]
    total = sum(n for _, n in used)
    if len(used) < 2 or not total:
        return 1.0
    p = sum(h for h, _ in used) / total
    if p in (0.0, 1.0):
        return 1.0
    chi2 = sum((h - n * p) ** 2 / (n * p * (1 - p)) for h, n in used)
    return max(1.0, chi2 / (len(used) - 1))


def poisson_dispersion(counts: Sequence[float], exposures: Sequence[float]) -> float:
    """Quasi-Poisson phi, the same way, for counts per exposure."""
    used = [(c, e) for c, e in zip(counts, exposures, strict=True) if e > 0]
    exposure = sum(e for _, e in used)
    if len(used) < 2 or not exposure:
        return 1.0
    rate = sum(c for c, _ in used) / exposure
    if rate == 0:
        return 1.0
    chi2 = sum((c - e * rate) ** 2 / (e * abs(rate)) for c, e in used)
    return max(1.0, chi2 / (len(used) - 1))


def rate_difference(a_count: float, a_exposure: float, b_count: float, b_exposure: float,
                    confidence: float = 0.95, a_phi: float = 1.0, b_phi: float = 1.0
                    ) -> Interval:
    """Interval of b_count/b_exposure - a_count/a_exposure for (quasi-)Poisson counts."""
    if a_exposure <= 0 or b_exposure <= 0:
        return Interval(0.0, -math.inf, math.inf)
    d = b_count / b_exposure - a_count / a_exposure
    # A count may be a net excess (retries minus calls made without an attempt): its
    # size is what varies.
    spread = math.sqrt(b_phi * (abs(b_count) + 0.5) / b_exposure ** 2 +
                       a_phi * (abs(a_count) + 0.5) / a_exposure ** 2)
    z = _z(confidence)
    return Interval(d, d - z * spread, d + z * spread)
