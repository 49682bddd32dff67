"""A permit belongs to the breaker epoch it was taken in: results of calls admitted before
a transition never move the breaker afterwards, whatever state it is in by then. Checked
on one concrete story and by a hypothesis state machine that interleaves many concurrent
permits with a fake clock."""

from __future__ import annotations

from typing import Literal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from bff.clock import FakeClock
from bff.events import BreakerTransition
from bff.policies.breaker import BreakerConfig, CircuitBreaker, Permit
from tests.bff.conftest import Recorder
from tests.bff.test_breaker import count_config, make, permit, transitions

Settle = Literal["success", "failure", "ignored"]


def test_late_failures_from_before_the_trip_cannot_reopen_a_closed_breaker(
        clock: FakeClock, events: Recorder) -> None:
    breaker = make(clock, events, window_size=4, minimum_calls=2)
    in_flight = [permit(breaker) for _ in range(3)]  # three calls under way
    for _ in range(2):
        breaker.on_failure(permit(breaker), 0.01)  # two others fail: 2/2, trip
    clock.advance(10.0)
    breaker.on_success(permit(breaker), 0.01)  # the probe closes it
    assert breaker.state == "closed"
    for late in in_flight:  # the three calls from before the trip finally fail
        breaker.on_failure(late, 5.0)
    assert breaker.state == "closed"
    assert breaker.snapshot()["calls"] == 0
    assert transitions(events) == [
        ("closed", "open", "failure_rate 1.00 >= 0.50"),
        ("open", "half_open", "open_duration elapsed"),
        ("half_open", "closed", "probe succeeded")]


class EpochMachine(RuleBasedStateMachine):
    """Concurrent calls against one breaker. The model: a permit is stale once any
    transition happened after it was taken; settling a stale permit must change nothing
    a user can see (state, window, probes, events)."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(100.0)
        self.events = Recorder()
        self.breaker = CircuitBreaker("inventory", BreakerConfig(), self.clock, self.events)
        self.in_flight: list[tuple[Permit, int]] = []  # permit, transitions when taken

    @initialize(probes=st.integers(1, 3), window=st.integers(2, 6),
                multiplier=st.sampled_from([1.0, 2.0]))
    def configure(self, probes: int, window: int, multiplier: float) -> None:
        config = count_config(window_size=window, minimum_calls=2, open_duration=1.0,
                              open_duration_multiplier=multiplier, max_open_duration=4.0,
                              half_open_max_probes=probes,
                              half_open_successes_to_close=max(1, probes - 1))
        self.breaker = CircuitBreaker("inventory", config, self.clock, self.events)

    def _transitions(self) -> int:
        return len(self.events.of(BreakerTransition))

    def _view(self) -> tuple[object, ...]:
        snap = self.breaker.snapshot()
        return (snap["state"], snap["calls"], snap["failed_calls"],
                snap["consecutive_failures"], snap["half_open_probes"], len(self.events.events))

    @rule()
    def acquire(self) -> None:
        got = self.breaker.try_acquire()
        if isinstance(got, Permit):
            self.in_flight.append((got, self._transitions()))

    @rule(seconds=st.sampled_from([0.0, 0.3, 1.0, 2.5]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.breaker.tick()

    @precondition(lambda self: bool(self.in_flight))
    @rule(index=st.integers(0, 50), how=st.sampled_from(["success", "failure", "ignored"]))
    def settle(self, index: int, how: Settle) -> None:
        held, taken_at = self.in_flight.pop(index % len(self.in_flight))
        self.breaker.tick()  # apply a due transition first: it makes permits stale too
        stale = taken_at != self._transitions()
        before = self._view()
        if how == "ignored":
            self.breaker.on_ignored(held)
        elif how == "success":
            self.breaker.on_success(held, 0.01)
        else:
            self.breaker.on_failure(held, 0.01)
        if stale:
            assert self._view() == before, f"a stale {how} moved the breaker"

    @invariant()
    def probes_never_exceed_the_limit(self) -> None:
        snap = self.breaker.snapshot()
        assert snap["half_open_probes"] <= self.breaker.config.half_open_max_probes

    @invariant()
    def half_open_never_waits_forever(self) -> None:
        # With no current probe in flight a new one must be admitted: an ignored probe
        # gives its slot back, and settled ones decide the round once all slots are used.
        if self.breaker.state != "half_open":
            return
        epoch_start = self._transitions()
        if not any(taken == epoch_start for _, taken in self.in_flight):
            probes = self.breaker.snapshot()["half_open_probes"]
            assert isinstance(probes, int)
            assert probes < self.breaker.config.half_open_max_probes


TestEpochs = EpochMachine.TestCase
TestEpochs.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
