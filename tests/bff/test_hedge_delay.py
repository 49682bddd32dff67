"""The hedge delay: fixed, or (delay = none) the observed p95, computed from an HDR
histogram at most once per REFRESH_SECONDS of the clock rather than on every call."""

from __future__ import annotations

import pytest

from bff.clock import FakeClock
from bff.policies.hedge import REFRESH_SECONDS, HedgeConfig, HedgeDelay


def observed_p95(clock: FakeClock, **config: object) -> HedgeDelay:
    return HedgeDelay(HedgeConfig(enabled=True, delay=None, **config),  # type: ignore[arg-type]
                      clock)


def test_a_fixed_delay_is_used_as_is(clock: FakeClock) -> None:
    delay = HedgeDelay(HedgeConfig(enabled=True, delay=0.04), clock)
    delay.record(5.0)
    assert delay.current() == 0.04
    assert delay.observed.count == 0  # nothing to learn: no samples kept


def test_the_fallback_delay_until_min_samples(clock: FakeClock) -> None:
    delay = observed_p95(clock, min_samples=10, fallback_delay=0.03)
    for _ in range(9):
        delay.record(0.2)
    assert delay.current() == 0.03
    delay.record(0.2)
    assert delay.current() == pytest.approx(0.2, rel=0.01)


def test_p95_is_computed_at_most_once_per_refresh_period(clock: FakeClock) -> None:
    delay = observed_p95(clock, min_samples=10)
    for _ in range(100):
        delay.record(0.01)
    assert delay.current() == pytest.approx(0.01, rel=0.01)
    computed_at = clock.now
    # The downstream slows down: recomputing on every call would follow at once (after
    # 6 slow samples of 106); the cached p95 holds for its period, however many samples.
    for _ in range(1000):
        delay.record(0.5)
        clock.advance(REFRESH_SECONDS / 2000)
        assert delay.current() == pytest.approx(0.01, rel=0.01)
    clock.advance_to(computed_at + REFRESH_SECONDS)
    assert delay.current() == pytest.approx(0.5, rel=0.01)
