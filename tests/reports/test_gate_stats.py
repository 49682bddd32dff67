"""The gate's statistics: intervals that cover the truth, known reference values, and
the three-way verdict."""

from __future__ import annotations

import numpy as np
import pytest

from reports.gate_stats import (
    Interval,
    bootstrap_latency,
    mann_whitney_p,
    proportion_difference,
    rate_difference,
    rounds_interval,
    widen,
    wilson,
)


def _latencies(rng: np.random.Generator, n: int, shift: float = 0.0) -> list[float]:
    """A right-skewed latency distribution around 20 ms, in seconds."""
    return list(0.015 + rng.lognormal(np.log(0.005), 0.6, n) + shift)


def test_the_same_distribution_gives_an_interval_around_zero() -> None:
    rng = np.random.default_rng(1)
    result = bootstrap_latency([[_latencies(rng, 3000)]], [[_latencies(rng, 3000)]])
    for stat in ("p50", "p95", "mean"):
        interval = result[stat][2]
        assert interval.low < 0 < interval.high, stat
        assert interval.verdict(0.002) == "pass", stat  # 2 ms allowed: decidedly within


def test_a_2ms_shift_is_estimated_and_fails_a_1ms_allowance() -> None:
    rng = np.random.default_rng(2)
    result = bootstrap_latency([[_latencies(rng, 4000)]], [[_latencies(rng, 4000, 0.002)]])
    value_a, value_b, interval = result["p50"]
    assert value_b > value_a
    assert interval.low < 0.002 < interval.high
    assert interval.verdict(0.001) == "fail"
    assert interval.verdict(0.010) == "pass"


def test_too_few_samples_are_inconclusive_not_pass() -> None:
    rng = np.random.default_rng(3)
    result = bootstrap_latency([[_latencies(rng, 15)]], [[_latencies(rng, 15, 0.001)]])
    assert result["p95"][2].verdict(0.001) == "inconclusive"


def test_the_interval_is_the_same_for_the_same_samples() -> None:
    rng = np.random.default_rng(4)
    a, b = [[_latencies(rng, 500)]], [[_latencies(rng, 500)]]
    assert bootstrap_latency(a, b) == bootstrap_latency(a, b)


def test_strata_remove_noise_that_hit_both_sides_alike() -> None:
    """Ten windows whose machine noise adds 0 to 90 ms to A and B alike: compared window
    by window the interval is much narrower than pooled, and still covers the 2 ms."""
    rng = np.random.default_rng(5)
    a, b = [], []
    for window in range(10):
        noise = window * 0.010
        a.append(_latencies(rng, 300, noise))
        b.append(_latencies(rng, 300, noise + 0.002))
    stratified = bootstrap_latency([a], [b])["mean"][2]
    pooled = bootstrap_latency([[[x for w in a for x in w]]],
                               [[[x for w in b for x in w]]])["mean"][2]
    assert stratified.low < 0.002 < stratified.high
    assert (stratified.high - stratified.low) < 0.5 * (pooled.high - pooled.low)
    assert pooled.low < 0.002 < pooled.high


def test_verdict_fails_only_when_the_whole_interval_is_beyond_the_allowance() -> None:
    assert Interval(0.003, 0.0011, 0.005).verdict(0.001) == "fail"
    assert Interval(0.003, 0.0009, 0.005).verdict(0.001) == "inconclusive"
    assert Interval(-0.01, -0.02, 0.001).verdict(0.001) == "pass"  # better never fails


def test_wilson_and_newcombe_match_the_published_examples() -> None:
    # Newcombe, Statistics in Medicine 17 (1998): 81/263 -> 0.2553 to 0.3662 (Wilson);
    # 56/70 - 48/80 -> 0.0524 to 0.3339 and 0/10 - 0/10 -> -0.2775 to 0.2775 (method 10).
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    example = proportion_difference(48, 80, 56, 70)
    assert (example.low, example.high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    zeros = proportion_difference(0, 10, 0, 10)
    assert (zeros.low, zeros.high) == pytest.approx((-0.2775, 0.2775), abs=1e-4)


def test_error_ratios_zero_on_both_sides_pass_a_one_point_allowance() -> None:
    assert proportion_difference(0, 2000, 0, 2000).verdict(0.01) == "pass"
    assert proportion_difference(0, 2000, 100, 2000).verdict(0.01) == "fail"


def test_rate_difference_of_attempts_per_call() -> None:
    # Counts are attempts beyond one per call, per call.
    same = rate_difference(50, 10_000, 52, 10_000)
    assert same.low < 0 < same.high
    assert same.high < 0.01  # 10,000 calls with few retries: a narrow interval
    more = rate_difference(50, 10_000, 3000, 10_000)
    assert more.low > 0.25
    assert more.verdict(0.10) == "fail"
    fewer = rate_difference(0, 10_000, -3000, 10_000)  # breaker: calls without attempts
    assert fewer.verdict(0.10) == "pass"
    assert fewer.estimate == pytest.approx(-0.3)
    assert rate_difference(0, 1, 3, 1).verdict(1.0) == "inconclusive"  # one round: few opens


def test_mann_whitney_sees_a_shift_and_not_its_absence() -> None:
    rng = np.random.default_rng(6)
    base = _latencies(rng, 2000)
    p_same = mann_whitney_p(base, _latencies(rng, 2000))
    p_slower = mann_whitney_p(base, _latencies(rng, 2000, 0.002))
    assert p_same is not None
    assert p_slower is not None
    assert p_same > 0.01
    assert p_slower < 1e-6
    assert mann_whitney_p([0.1], [0.2]) is None


def test_a_state_that_held_a_whole_round_widens_the_interval_instead_of_failing() -> None:
    """Same config on both sides, but in each round each side landed in a state that held
    for the whole round (a breaker that stayed open, say): +-20 ms. B happened to land
    high once more than A. Requests alone call that a regression; the spread between
    rounds says the data cannot decide."""
    rng = np.random.default_rng(7)
    effects_a, effects_b = (-0.02, 0.02, -0.02, 0.02), (0.02, 0.02, 0.02, -0.02)
    a = [[_latencies(rng, 800, effect)] for effect in effects_a]
    b = [[_latencies(rng, 800, effect)] for effect in effects_b]
    two_stage = bootstrap_latency(a, b)["p50"][2]
    one_round = bootstrap_latency([[x for r in a for x in r]], [[x for r in b for x in r]])
    assert one_round["p50"][2].verdict(0.001) == "fail"  # falsely decided
    assert two_stage.verdict(0.001) == "inconclusive"
    assert two_stage.low < 0 < two_stage.high


def test_rounds_interval_is_a_paired_t_interval_from_three_rounds() -> None:
    assert rounds_interval([0.001, 0.002]) is None
    low, high = rounds_interval([0.001, 0.002, 0.003])  # type: ignore[misc]
    # mean 2 ms, sd 1 ms, t(0.975, 2) = 4.303: 2 +- 2.484 ms
    assert (low, high) == pytest.approx((-0.000484, 0.004484), abs=1e-6)
    within = Interval(0.002, 0.0015, 0.0025)
    assert widen(within, (low, high)) == Interval(0.002, low, high)
    assert widen(within, None) == within


def _side_by_side(rng: np.random.Generator, rounds: list[list[tuple[float, float]]],
                  per_window: int = 50) -> tuple[list[list[list[float]]], ...]:
    """Paired windows: per round, per 1 s window, (shared machine noise, B's extra)."""
    a = [[_latencies(rng, per_window, noise) for noise, _ in r] for r in rounds]
    b = [[_latencies(rng, per_window, noise + extra) for noise, extra in r] for r in rounds]
    return a, b


def test_side_by_side_a_regression_whose_size_follows_the_load_still_fails() -> None:
    """B is 2-6 ms slower in every second of three rounds, more when the machine was
    busier (as measured: +6.2, +2.5, +2.6 ms per round at load 4). Three round
    differences alone give t(2) = 4.3 and an interval down to below 0; blocks of 5 s of
    the same seconds on both sides (9 of them) decide it."""
    rng = np.random.default_rng(11)
    rounds = [[(0.010, 0.006)] * 15, [(0.002, 0.0025)] * 15, [(0.0, 0.0026)] * 15]
    a, b = _side_by_side(rng, rounds)
    by_rounds = bootstrap_latency(a, b)["p50"][2]
    by_blocks = bootstrap_latency(a, b, batch=5)["p50"][2]
    assert by_rounds.verdict(0.001) == "inconclusive"
    assert by_blocks.verdict(0.001) == "fail"
    assert by_blocks.low > 0.001 and by_blocks.high < 0.008


def test_side_by_side_a_state_that_held_seconds_on_one_side_is_not_a_regression() -> None:
    """Same config on both sides; B was in a slow state (+15 ms) twice, for 10 s and
    5 s of 45 s (a breaker open, a stall). Every request counted alone says B's p50 is
    worse; blocks of 5 s see one side's state come and go: the data cannot decide."""
    rng = np.random.default_rng(12)
    quiet = [(0.0, 0.0)] * 15
    slow_10s = [(0.0, 0.0)] * 5 + [(0.0, 0.015)] * 10
    slow_5s = [(0.0, 0.015)] * 5 + [(0.0, 0.0)] * 10
    a, b = _side_by_side(rng, [quiet, slow_10s, slow_5s])
    requests_alone = bootstrap_latency([[w for r in a for w in r]],
                                       [[w for r in b for w in r]])["p50"][2]
    by_blocks = bootstrap_latency(a, b, batch=5)["p50"][2]
    assert requests_alone.verdict(0.001) == "fail"  # falsely decided
    assert by_blocks.verdict(0.001) == "inconclusive"


def test_thin_blocks_join_their_neighbours() -> None:
    """A round whose last seconds saw few requests: the thin block joins the one before
    it instead of adding a noisy difference of a handful of requests."""
    rng = np.random.default_rng(13)
    a = [[_latencies(rng, 40) for _ in range(5)] + [_latencies(rng, 3)]] * 3
    b = [[_latencies(rng, 40, 0.002) for _ in range(5)] + [_latencies(rng, 3, 0.2)]] * 3
    by_blocks = bootstrap_latency(a, b, batch=5)["p50"][2]
    assert by_blocks.high < 0.010  # a 200 ms block of 3 requests would blow it open
