"""BreakerConfig.book() reproduces the book's simple breaker (listings 10.11 and 10.12)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bff.clock import FakeClock
from bff.events import BreakerTransition
from bff.policies.breaker import BreakerConfig, CircuitBreaker, Permit, Rejection
from tests.bff.conftest import Recorder


def book_breaker(clock: FakeClock, events: Recorder, **kwargs: float) -> CircuitBreaker:
    return CircuitBreaker("inventory", BreakerConfig.book(**kwargs), clock, events)  # type: ignore[arg-type]


def request(breaker: CircuitBreaker, clock: FakeClock, *, takes: float, ok: bool) -> str:
    """One call the book's way: admitted or failing fast; a failure ends after `takes` s."""
    got = breaker.try_acquire()
    if isinstance(got, Rejection):
        return "failing fast"
    clock.advance(takes)
    (breaker.on_success if ok else breaker.on_failure)(got, takes)
    return "requesting"


def test_listing_10_12_output(clock: FakeClock, events: Recorder) -> None:
    # timeout=1.0, time_window=5, max_failures=2, reset_interval=5, a 2 s callback.
    breaker = book_breaker(clock, events, max_failures=2, window=5.0, reset=5.0)
    first = [request(breaker, clock, takes=1.0, ok=False) for _ in range(4)]
    clock.advance(5.0)  # "Sleeping for 5 seconds so breaker closes..."
    second = [request(breaker, clock, takes=1.0, ok=False) for _ in range(4)]
    assert first == second == ["requesting", "requesting", "failing fast", "failing fast"]
    assert [(e.from_state, e.to_state) for e in events.of(BreakerTransition)] == [
        ("closed", "open"), ("open", "closed"), ("closed", "open")]


def test_book_reset_runs_from_the_start_of_the_last_admitted_call(
        clock: FakeClock, events: Recorder) -> None:
    breaker = book_breaker(clock, events)  # 3 failures in 5 s, reset 30 s
    start = clock.now
    for _ in range(3):
        request(breaker, clock, takes=0.5, ok=False)  # 0.5 s per-call timeout
    assert breaker.state == "open"
    last_call_started = start + 1.0
    assert breaker.next_transition_at() == pytest.approx(last_call_started + 30.0)
    assert events.of(BreakerTransition)[0].reason == "failure_count 3 >= 3"


def test_book_breaker_closes_directly_and_admits_everyone(
        clock: FakeClock, events: Recorder) -> None:
    breaker = book_breaker(clock, events)
    for _ in range(3):
        request(breaker, clock, takes=0.5, ok=False)
    clock.advance_to(breaker.next_transition_at() or 0.0)
    assert breaker.tick() == "closed"  # no half-open phase
    permits = [breaker.try_acquire() for _ in range(20)]
    assert all(isinstance(p, Permit) and not p.probe for p in permits)
    last = events.of(BreakerTransition)[-1]
    assert (last.from_state, last.to_state, last.reason) == (
        "open", "closed", "open_duration elapsed")


def test_successes_do_not_excuse_failures_within_the_window(
        clock: FakeClock, events: Recorder) -> None:
    breaker = book_breaker(clock, events)
    for ok in (False, True, True, False, True, False):
        request(breaker, clock, takes=0.5, ok=ok)
    assert breaker.state == "open"


def test_the_window_restarts_at_the_first_failure_after_it_expired(
        clock: FakeClock, events: Recorder) -> None:
    # Failures at 1, 5, 9, 10 s: a sliding 5 s window would hold 3 at 10 s (5, 9, 10); the
    # book's window counted 1 and 5, was cleared by the call starting at 8.5 s (more than
    # 5 s after the first failure), and then holds only 9 and 10.
    breaker = book_breaker(clock, events)
    t0 = clock.now
    for start in (0.5, 4.5, 8.5, 9.5):
        clock.advance_to(t0 + start)
        assert request(breaker, clock, takes=0.5, ok=False) == "requesting"
    assert breaker.state == "closed"
    assert breaker.snapshot()["failed_calls"] == 2


def test_a_failure_of_a_call_started_inside_the_window_still_counts(
        clock: FakeClock, events: Recorder) -> None:
    breaker = book_breaker(clock, events)
    request(breaker, clock, takes=0.5, ok=False)  # first failure at +0.5
    request(breaker, clock, takes=0.5, ok=False)
    late = breaker.try_acquire()  # admitted at +1.0, inside the window
    assert isinstance(late, Permit)
    clock.advance(10.0)  # ends long after the window, still the third strike
    breaker.on_failure(late, 10.0)
    assert breaker.state == "open"


def test_book_is_a_plain_config(clock: FakeClock) -> None:
    config = BreakerConfig.book()
    assert (config.window_type, config.window_size, config.failure_count_threshold) == (
        "first_failure", 5.0, 3)
    assert (config.open_duration, config.half_open_max_probes) == (30.0, 0)
    assert config.failure_rate_threshold is None


class ListingTenEleven:
    """Listing 10.11 transliterated onto a fake clock, as an oracle. One deviation: the
    reset check uses >= (the book: >), as the machine closes exactly at its due time."""

    def __init__(self, clock: FakeClock, time_window: float, max_failures: int,
                 reset_interval: float) -> None:
        self.clock, self.time_window = clock, time_window
        self.max_failures, self.reset_interval = max_failures, reset_interval
        self.last_request_time = 0.0
        self.last_failure_time: float | None = None
        self.current_failures = 0

    def admit(self) -> bool:
        now = self.clock()
        if self.current_failures >= self.max_failures:
            if now >= self.last_request_time + self.reset_interval:
                self._reset()
                self.last_request_time = now
                return True
            return False
        if self.last_failure_time is not None and now > self.last_failure_time + self.time_window:
            self._reset()
        self.last_request_time = now
        return True

    def _reset(self) -> None:
        self.last_failure_time = None
        self.current_failures = 0

    def failed(self) -> None:
        self.current_failures += 1
        if self.last_failure_time is None:
            self.last_failure_time = self.clock()


@settings(max_examples=300, deadline=None)
@given(
    max_failures=st.integers(1, 4),
    window=st.sampled_from([1.0, 5.0]),
    reset=st.sampled_from([2.0, 5.0, 30.0]),
    calls=st.lists(st.tuples(st.sampled_from([0.0, 0.25, 1.0, 3.0, 7.5]),
                             st.sampled_from([0.1, 0.5, 1.0]), st.booleans()), max_size=40),
)
def test_book_config_decides_like_the_listing(
        max_failures: int, window: float, reset: float,
        calls: list[tuple[float, float, bool]]) -> None:
    clock, oracle_clock = FakeClock(), FakeClock()
    breaker = CircuitBreaker(
        "inventory", BreakerConfig.book(max_failures, window, reset), clock)
    oracle = ListingTenEleven(oracle_clock, window, max_failures, reset)
    for gap, takes, ok in calls:
        clock.advance(gap)
        oracle_clock.advance(gap)
        got = breaker.try_acquire()
        assert isinstance(got, Permit) == oracle.admit()
        if isinstance(got, Permit):
            clock.advance(takes)
            oracle_clock.advance(takes)
            if ok:
                breaker.on_success(got, takes)
            else:
                breaker.on_failure(got, takes)
                oracle.failed()
