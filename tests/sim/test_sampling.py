"""Latency distributions sampled with a fixed seed match their definitions."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from sim.faults import parse_fault
from sim.faults.latency import Latency

N = 20_000


def samples(spec: dict[str, object], seed: int = 1) -> list[float]:
    fault = parse_fault({"type": "latency", **spec}, "f")
    assert isinstance(fault, Latency)
    rng = random.Random(seed)
    return [fault.draw(rng) for _ in range(N)]


def test_uniform_covers_its_range_evenly() -> None:
    values = samples({"dist": "uniform", "min": "0s", "max": "5s"})
    assert min(values) >= 0.0 and max(values) <= 5.0
    assert statistics.fmean(values) == pytest.approx(2.5, abs=0.05)
    assert sum(v < 1.0 for v in values) / N == pytest.approx(0.2, abs=0.015)


def test_normal_has_its_mean_and_stddev() -> None:
    values = samples({"dist": "normal", "mean": "500ms", "stddev": "50ms"})
    assert statistics.fmean(values) == pytest.approx(0.5, abs=0.002)
    assert statistics.stdev(values) == pytest.approx(0.05, rel=0.03)


def test_lognormal_has_its_median_and_a_long_tail() -> None:
    values = samples({"dist": "lognormal", "median": "100ms", "sigma": 1.0})
    assert statistics.median(values) == pytest.approx(0.1, rel=0.04)
    p99 = sorted(values)[int(N * 0.99)]
    assert p99 == pytest.approx(0.1 * math.exp(2.326), rel=0.1)


def test_pareto_starts_at_its_scale_with_the_right_median() -> None:
    values = samples({"dist": "pareto", "scale": "50ms", "alpha": 2.0})
    assert min(values) >= 0.05
    assert statistics.median(values) == pytest.approx(0.05 * 2 ** 0.5, rel=0.04)


def test_cap_bounds_and_jitter_spreads() -> None:
    capped = samples({"dist": "pareto", "scale": "100ms", "alpha": 1.0, "cap": "300ms"})
    assert max(capped) == pytest.approx(0.3)
    jittered = samples({"delay": "200ms", "jitter": "20ms"})
    assert 0.18 <= min(jittered) < 0.182 and 0.218 < max(jittered) <= 0.22
    assert statistics.fmean(jittered) == pytest.approx(0.2, abs=0.001)


def test_normal_never_goes_negative() -> None:
    assert min(samples({"dist": "normal", "mean": "10ms", "stddev": "50ms"})) == 0.0
