"""Circuit breaker state machine on a fake clock: every transition a user would see."""

from __future__ import annotations

import pytest

from bff.clock import FakeClock
from bff.events import BreakerThresholdExceeded, BreakerTransition, CallNotPermitted
from bff.policies.breaker import BreakerConfig, CircuitBreaker, Permit, Rejection
from sim.errors import ConfigError
from tests.bff.conftest import Recorder


def count_config(**overrides: object) -> BreakerConfig:
    fields: dict[str, object] = {
        "window_type": "count", "window_size": 10, "minimum_calls": 5,
        "failure_rate_threshold": 0.5, "open_duration": 10.0, "half_open_max_probes": 1,
    }
    fields.update(overrides)
    return BreakerConfig(**fields)  # type: ignore[arg-type]


def make(clock: FakeClock, events: Recorder, **overrides: object) -> CircuitBreaker:
    return CircuitBreaker("inventory", count_config(**overrides), clock, events)


def permit(breaker: CircuitBreaker) -> Permit:
    got = breaker.try_acquire()
    assert isinstance(got, Permit), got
    return got


def succeed(breaker: CircuitBreaker, duration: float = 0.01) -> None:
    breaker.on_success(permit(breaker), duration)


def fail(breaker: CircuitBreaker, duration: float = 0.01) -> None:
    breaker.on_failure(permit(breaker), duration)


def transitions(events: Recorder) -> list[tuple[str, str, str]]:
    return [(e.from_state, e.to_state, e.reason) for e in events.of(BreakerTransition)]


def trip(breaker: CircuitBreaker) -> None:
    while breaker.state == "closed":
        fail(breaker)


# -- closed -> open ------------------------------------------------------------------------

def test_failure_rate_trips_once_minimum_calls_are_reached(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    for _ in range(4):
        fail(breaker)
    assert breaker.state == "closed"  # 100% failures, but only 4 of 5 minimum calls
    fail(breaker)
    assert breaker.state == "open"
    (event,) = events.of(BreakerTransition)
    assert (event.from_state, event.to_state) == ("closed", "open")
    assert event.reason == "failure_rate 1.00 >= 0.50"
    assert event.failure_rate == 1.0
    assert event.t == clock.now
    assert event.open_duration == 10.0


def test_failure_rate_below_threshold_stays_closed_and_mixed_calls_trip_at_threshold(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, failure_rate_threshold=0.6)
    for ok in (True, True, False, False):
        (succeed if ok else fail)(breaker)
    succeed(breaker)  # 2/5 = 0.4
    assert breaker.state == "closed"
    fail(breaker)  # 3/6 = 0.5
    assert breaker.state == "closed"
    fail(breaker)  # 4/7 = 0.57
    assert breaker.state == "closed"
    fail(breaker)  # 5/8 = 0.625
    assert transitions(events) == [("closed", "open", "failure_rate 0.62 >= 0.60")]


def test_count_window_forgets_the_oldest_outcomes(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, window_size=4, minimum_calls=4)
    fail(breaker)
    for _ in range(5):
        succeed(breaker)
    snap = breaker.snapshot()
    assert snap["calls"] == 4
    assert snap["failure_rate"] == 0.0  # the early failure slid out
    fail(breaker)
    assert breaker.state == "closed"  # 1 of the last 4
    fail(breaker)
    assert breaker.state == "open"  # 2 of the last 4 = 0.5


def test_minimum_calls_is_capped_by_a_small_count_window(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, window_size=3, minimum_calls=100)
    for _ in range(3):
        fail(breaker)
    assert breaker.state == "open"


def test_slow_calls_trip_on_slow_call_rate(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, failure_rate_threshold=None, slow_call_rate_threshold=0.5,
                   slow_call_duration=1.0, minimum_calls=4)
    succeed(breaker, duration=1.0)  # exactly the threshold is not slow
    succeed(breaker, duration=0.2)
    succeed(breaker, duration=1.5)
    assert breaker.state == "closed"
    assert breaker.snapshot()["slow_calls"] == 1
    succeed(breaker, duration=3.0)  # 2 slow of 4, although every call succeeded
    assert transitions(events) == [("closed", "open", "slow_call_rate 0.50 >= 0.50")]
    assert events.of(BreakerTransition)[0].slow_rate == 0.5


def test_slow_failures_count_as_slow_too(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, failure_rate_threshold=None, slow_call_rate_threshold=1.0,
                   slow_call_duration=0.5, minimum_calls=2)
    fail(breaker, duration=0.9)
    fail(breaker, duration=0.9)
    assert breaker.state == "open"
    assert transitions(events)[0][2] == "slow_call_rate 1.00 >= 1.00"


def test_consecutive_failures_trip_and_a_success_resets_them(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, failure_rate_threshold=None, consecutive_failures=3)
    fail(breaker)
    fail(breaker)
    succeed(breaker)
    fail(breaker)
    fail(breaker)
    assert breaker.state == "closed"
    assert breaker.snapshot()["consecutive_failures"] == 2
    fail(breaker)
    assert transitions(events) == [("closed", "open", "consecutive_failures 3")]


def test_failure_count_threshold_ignores_successes(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, failure_rate_threshold=None, failure_count_threshold=3,
                   window_type="time", window_size=10.0)
    for _ in range(20):
        succeed(breaker)
    fail(breaker)
    succeed(breaker)
    fail(breaker)
    succeed(breaker)
    fail(breaker)
    assert transitions(events) == [("closed", "open", "failure_count 3 >= 3")]


# -- time window ---------------------------------------------------------------------------

def test_time_window_trips_on_recent_failures_only(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, window_type="time", window_size=10.0, minimum_calls=3)
    fail(breaker)
    fail(breaker)
    clock.advance(10.5)  # both failures have left the 10 s window
    assert breaker.snapshot()["calls"] == 0
    succeed(breaker)
    fail(breaker)
    assert breaker.state == "closed"  # 1 failure of 2 calls, below minimum calls
    clock.advance(5.0)
    fail(breaker)  # 2/3 in the last 10 s
    assert breaker.state == "open"
    assert transitions(events) == [("closed", "open", "failure_rate 0.67 >= 0.50")]


def test_time_window_keeps_outcomes_for_at_most_the_window(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, window_type="time", window_size=2.0, minimum_calls=1,
                   failure_rate_threshold=None)
    succeed(breaker)
    clock.advance(1.7)
    assert breaker.snapshot()["calls"] == 1
    clock.advance(0.3)
    assert breaker.snapshot()["calls"] == 0


# -- open, half-open -----------------------------------------------------------------------

def test_open_rejects_fast_and_says_when_it_may_admit_again(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    trip(breaker)
    opened_at = clock.now
    clock.advance(4.0)
    got = breaker.try_acquire()
    assert isinstance(got, Rejection)
    assert (got.state, got.retry_after) == ("open", pytest.approx(6.0))
    (rejected,) = events.of(CallNotPermitted)
    assert (rejected.breaker, rejected.state, rejected.t) == ("inventory", "open", clock.now)
    assert breaker.next_transition_at() == opened_at + 10.0
    assert breaker.snapshot()["not_permitted"] == 1


def test_tick_at_next_transition_moves_open_to_half_open(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    trip(breaker)
    due = breaker.next_transition_at()
    assert due is not None
    clock.advance_to(due - 0.001)
    assert breaker.tick() == "open"
    clock.advance_to(due)
    assert breaker.tick() == "half_open"
    assert breaker.next_transition_at() is None
    last = events.of(BreakerTransition)[-1]
    assert (last.from_state, last.to_state, last.reason, last.t) == (
        "open", "half_open", "open_duration elapsed", due)


def test_late_reads_apply_the_transition_stamped_when_it_was_due(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    trip(breaker)
    due = breaker.next_transition_at()
    clock.advance(25.0)  # nobody ticked; the first call after is a probe
    got = breaker.try_acquire()
    assert isinstance(got, Permit)
    assert got.probe
    assert events.of(BreakerTransition)[-1].t == due


def test_successful_probe_closes_with_a_fresh_window(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    trip(breaker)
    clock.advance(10.0)
    probe = permit(breaker)
    breaker.on_success(probe, 0.01)
    assert breaker.state == "closed"
    assert transitions(events)[-1] == ("half_open", "closed", "probe succeeded")
    assert events.of(BreakerTransition)[-1].failure_rate == 0.0  # the probes' rate
    assert breaker.snapshot()["calls"] == 0
    for _ in range(4):
        fail(breaker)
    assert breaker.state == "closed"  # the old failures do not count against it again


def test_failed_probe_reopens(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    trip(breaker)
    clock.advance(10.0)
    breaker.on_failure(permit(breaker), 0.01)
    assert breaker.state == "open"
    assert transitions(events)[-1] == ("half_open", "open", "probe failed")
    assert breaker.next_transition_at() == clock.now + 10.0


def test_slow_probe_reopens_when_slowness_trips(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, slow_call_rate_threshold=0.5, slow_call_duration=0.5)
    trip(breaker)
    clock.advance(10.0)
    breaker.on_success(permit(breaker), 0.8)
    assert transitions(events)[-1] == ("half_open", "open", "probe slow 0.800s > 0.5s")


def test_half_open_admits_only_the_probe_limit_under_concurrency(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, half_open_max_probes=2)
    trip(breaker)
    clock.advance(10.0)
    results = [breaker.try_acquire() for _ in range(10)]
    probes = [r for r in results if isinstance(r, Permit)]
    assert len(probes) == 2
    assert all(p.probe for p in probes)
    assert [r.state for r in results if isinstance(r, Rejection)] == ["half_open"] * 8
    assert len(events.of(CallNotPermitted)) == 8
    breaker.on_success(probes[0], 0.01)
    assert breaker.state == "half_open"  # needs both probes by default
    assert isinstance(breaker.try_acquire(), Rejection)  # the round's 2 probes are taken
    breaker.on_success(probes[1], 0.01)
    assert breaker.state == "closed"


def test_an_ignored_probe_gives_its_slot_back(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    trip(breaker)
    clock.advance(10.0)
    probe = permit(breaker)
    assert isinstance(breaker.try_acquire(), Rejection)
    breaker.on_ignored(probe)  # e.g. the request was cancelled
    assert breaker.state == "half_open"
    second = permit(breaker)
    breaker.on_success(second, 0.01)
    assert breaker.state == "closed"


def test_partial_success_rule_tolerates_some_failed_probes(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, half_open_max_probes=3, half_open_successes_to_close=2)
    trip(breaker)
    clock.advance(10.0)
    a, b, c = permit(breaker), permit(breaker), permit(breaker)
    breaker.on_failure(a, 0.01)
    assert breaker.state == "half_open"  # 2 successes are still possible
    breaker.on_success(b, 0.01)
    breaker.on_success(c, 0.01)
    assert transitions(events)[-1] == ("half_open", "closed", "probe succeeded")

    trip(breaker)
    clock.advance(10.0)
    a, b = permit(breaker), permit(breaker)
    breaker.on_failure(a, 0.01)
    breaker.on_failure(b, 0.01)  # now at most 1 success is possible
    assert transitions(events)[-1] == ("half_open", "open", "probe failed")


def test_a_straggler_from_an_old_round_cannot_close_a_new_one(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, half_open_max_probes=2)
    trip(breaker)
    clock.advance(10.0)
    straggler, failing = permit(breaker), permit(breaker)
    breaker.on_failure(failing, 0.01)  # round lost: reopen
    clock.advance(10.0)
    assert breaker.state == "half_open"
    breaker.on_success(straggler, 0.01)
    assert breaker.state == "half_open"
    assert breaker.snapshot()["half_open_probes"] == 0


def test_reopen_backs_off_with_the_multiplier_up_to_the_cap(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, open_duration=10.0, open_duration_multiplier=2.0,
                   max_open_duration=25.0)
    trip(breaker)
    seen = [breaker.snapshot()["open_duration"]]
    for _ in range(3):
        clock.advance_to(breaker.next_transition_at() or 0.0)
        breaker.on_failure(permit(breaker), 0.01)
        due = breaker.next_transition_at()
        assert due is not None
        seen.append(due - clock.now)
    assert seen == [10.0, 20.0, 25.0, 25.0]
    assert [e.open_duration for e in events.of(BreakerTransition) if e.to_state == "open"] == [
        10.0, 20.0, 25.0, 25.0]
    clock.advance(25.0)
    breaker.on_success(permit(breaker), 0.01)
    trip(breaker)  # closing reset the backoff
    assert breaker.next_transition_at() == clock.now + 10.0
    assert breaker.snapshot()["opens"] == 5


def test_results_of_calls_admitted_before_the_trip_do_not_move_an_open_breaker(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    in_flight = permit(breaker)
    trip(breaker)
    breaker.on_success(in_flight, 0.01)
    assert breaker.state == "open"
    assert len(events.of(BreakerTransition)) == 1


def test_settling_a_permit_twice_counts_once(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, failure_rate_threshold=None, consecutive_failures=2)
    once = permit(breaker)
    breaker.on_failure(once, 0.01)
    breaker.on_failure(once, 0.01)
    breaker.on_ignored(once)
    assert breaker.state == "closed"
    assert breaker.snapshot()["calls"] == 1


# -- modes ---------------------------------------------------------------------------------

def test_forced_open_rejects_everything_until_set_back_to_normal(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, mode="forced_open")
    assert breaker.state == "forced_open"
    clock.advance(1000.0)
    got = breaker.try_acquire()
    assert isinstance(got, Rejection)
    assert (got.state, got.retry_after) == ("forced_open", None)
    assert breaker.next_transition_at() is None
    breaker.set_mode("normal")
    assert breaker.state == "closed"
    assert transitions(events) == [("forced_open", "closed", "forced")]


def test_forcing_open_at_run_time_and_back(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    breaker.set_mode("forced_open")
    assert isinstance(breaker.try_acquire(), Rejection)
    breaker.set_mode("forced_open")  # already there: no second event
    breaker.set_mode("normal")
    succeed(breaker)
    assert transitions(events) == [
        ("closed", "forced_open", "forced"), ("forced_open", "closed", "forced")]


def test_disabled_admits_everything_and_records_nothing(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, mode="disabled")
    for _ in range(50):
        fail(breaker)
    assert breaker.state == "disabled"
    assert breaker.snapshot()["calls"] == 0
    assert events.events == []


def test_metrics_only_measures_and_reports_but_never_rejects(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, mode="metrics_only")
    for _ in range(8):
        fail(breaker)
    assert breaker.state == "metrics_only"
    snap = breaker.snapshot()
    assert (snap["calls"], snap["failure_rate"]) == (8, 1.0)
    (exceeded,) = events.of(BreakerThresholdExceeded)  # once per crossing, not per call
    assert exceeded.reason == "failure_rate 1.00 >= 0.50"
    for _ in range(10):
        succeed(breaker)  # back under the threshold
    for _ in range(10):
        fail(breaker)
    assert len(events.of(BreakerThresholdExceeded)) == 2
    assert events.of(BreakerTransition) == []


def test_disabling_at_run_time_stops_rejections(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events)
    trip(breaker)
    breaker.set_mode("disabled")
    assert isinstance(breaker.try_acquire(), Permit)
    assert transitions(events)[-1] == ("open", "disabled", "forced")


def test_snapshot_reports_what_the_admin_api_shows(clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, slow_call_duration=1.0)
    succeed(breaker, duration=2.0)
    fail(breaker)
    fail(breaker)
    fail(breaker)
    assert breaker.snapshot() == {
        "name": "inventory", "state": "closed", "failure_rate": 0.75, "slow_call_rate": 0.25,
        "calls": 4, "failed_calls": 3, "slow_calls": 1, "consecutive_failures": 3,
        "opens": 0, "open_duration": 10.0, "open_until": None, "half_open_probes": 0,
        "not_permitted": 0,
    }


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [({"mode": "off"}, "mode",
      "expected one of 'normal', 'forced_open', 'disabled', 'metrics_only', got 'off'"),
     ({"window_type": "sliding"}, "window_type",
      "expected one of 'count', 'time', 'first_failure', got 'sliding'"),
     ({"window_size": 2.5}, "window_size", "a count window needs a whole number of calls"),
     ({"failure_rate_threshold": 50}, "failure_rate_threshold",
      "expected a rate in (0, 1] or none (off), got 50"),
     ({"open_duration_multiplier": 0.5}, "open_duration_multiplier",
      "expected a number >= 1, got 0.5"),
     ({"open_duration": 10.0, "max_open_duration": 5.0}, "max_open_duration",
      "expected a number >= 10, got 5.0"),
     ({"half_open_max_probes": 2, "half_open_successes_to_close": 3},
      "half_open_successes_to_close", "expected at most half_open_max_probes (2), got 3"),
     ({"consecutive_failures": 0}, "consecutive_failures",
      "expected an integer from 1 to 1,000,000, got 0")])
def test_invalid_breaker_config_names_the_field_and_allowed_values(
        fields: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BreakerConfig(**fields)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert message in caught.value.problem
