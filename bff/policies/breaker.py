"""Circuit breaker: a pure state machine on an injected clock (no asyncio, no sleeping).

States: closed -> open -> half_open -> closed | open, plus forced_open, disabled and
metrics_only. The caller asks `try_acquire()` before a call and settles the Permit it got
exactly once with `on_success`, `on_failure` or `on_ignored` (later settlements of the
same permit are no-ops, so a `finally: on_ignored(permit)` is safe). A permit belongs to
the epoch it was taken in (every transition starts a new one): settling a permit from an
earlier epoch changes nothing, in every state. OPEN -> HALF_OPEN
happens at `next_transition_at()`: schedule `tick()` there with `loop.call_at`; every
read also applies it lazily, stamped with the time it became due.

Half-open admits a round of at most `half_open_max_probes` probes (taken atomically; all
other calls are rejected fast). It closes once `half_open_successes_to_close` of them
succeed and re-opens as soon as that can no longer happen; each re-open multiplies the
open duration (up to `max_open_duration`), and closing resets it. An ignored probe gives
its slot back. With `half_open_max_probes=0` there is no half-open phase: the breaker
closes directly when the open duration has elapsed (the book's breaker).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bff.clock import Clock
from bff.events import BreakerThresholdExceeded, BreakerTransition, CallNotPermitted
from bff.policies import _checks as check
from bff.policies.breaker_config import MODES, BreakerConfig, Mode
from bff.policies.windows import CountWindow, FirstFailureWindow, OutcomeWindow, TimeWindow

State = Literal["closed", "open", "half_open", "forced_open", "disabled", "metrics_only"]
Listener = Callable[[object], None]

__all__ = ["BreakerConfig", "CircuitBreaker", "Listener", "Mode", "Permit", "Rejection", "State"]

_MODE_STATE: dict[Mode, State] = {
    "normal": "closed", "forced_open": "forced_open",
    "disabled": "disabled", "metrics_only": "metrics_only",
}


class Permit:
    """Leave to call the downstream; settle it exactly once on the breaker that gave it."""

    __slots__ = ("_epoch", "_settled", "acquired_at", "probe")

    def __init__(self, acquired_at: float, probe: bool, epoch: int) -> None:
        self.acquired_at = acquired_at
        self.probe = probe  # a half-open trial call
        self._epoch = epoch
        self._settled = False


@dataclass(frozen=True)
class Rejection:
    """The breaker refused the call. retry_after: seconds until it may admit calls again."""

    breaker: str
    state: State
    retry_after: float | None


def _ignore(event: object) -> None:
    pass


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class CircuitBreaker:
    def __init__(self, name: str, config: BreakerConfig, clock: Clock,
                 listener: Listener = _ignore) -> None:
        self.name = name
        self.config = config
        self._clock = clock
        self._listener = listener
        self._window = self._make_window()
        self._minimum_calls = config.minimum_calls
        if config.window_type == "count":
            self._minimum_calls = min(config.minimum_calls, int(config.window_size))
        self._state: State = _MODE_STATE[config.mode]
        self._epoch = 0  # bumps on every transition, so stale results are ignored
        self._consecutive = 0
        self._opens = 0
        self._not_permitted = 0
        self._open_duration = config.open_duration  # of the current (or next) open period
        self._open_until: float | None = None
        self._last_acquire: float | None = None
        self._probes = self._probe_ok = self._probe_bad = self._probe_slow = 0
        self._exceeded = False

    def _make_window(self) -> OutcomeWindow:
        kind, size = self.config.window_type, self.config.window_size
        if kind == "count":
            return CountWindow(int(size))
        return TimeWindow(size) if kind == "time" else FirstFailureWindow(size)

    # -- reading -------------------------------------------------------------------------

    @property
    def state(self) -> State:
        self._advance(self._clock())
        return self._state

    def next_transition_at(self) -> float | None:
        """Clock time at which OPEN ends (to half_open, or closed without probes)."""
        self._advance(self._clock())
        return self._open_until if self._state == "open" else None

    def tick(self) -> State:
        """Apply a due time-based transition (call it at next_transition_at())."""
        return self.state

    def snapshot(self) -> dict[str, float | int | str | None]:
        now = self._clock()
        self._advance(now)
        calls, failed, slow = self._window.totals(now)
        return {
            "name": self.name,
            "state": self._state,
            "failure_rate": _rate(failed, calls),
            "slow_call_rate": _rate(slow, calls),
            "calls": calls,
            "failed_calls": failed,
            "slow_calls": slow,
            "consecutive_failures": self._consecutive,
            "opens": self._opens,
            "open_duration": self._open_duration,
            "open_until": self._open_until if self._state == "open" else None,
            "half_open_probes": self._probes if self._state == "half_open" else 0,
            "not_permitted": self._not_permitted,
        }

    # -- calls ---------------------------------------------------------------------------

    def try_acquire(self) -> Permit | Rejection:
        now = self._clock()
        self._advance(now)
        state = self._state
        if state in ("closed", "metrics_only", "disabled"):
            self._window.on_acquire(now)
            self._last_acquire = now
            return Permit(now, False, self._epoch)
        if state == "half_open" and self._probes < self.config.half_open_max_probes:
            self._probes += 1
            self._last_acquire = now
            return Permit(now, True, self._epoch)
        self._not_permitted += 1
        retry_after = None
        if state == "open" and self._open_until is not None:
            retry_after = max(0.0, self._open_until - now)
        self._listener(CallNotPermitted(now, self.name, state, retry_after))
        return Rejection(self.name, state, retry_after)

    def on_success(self, permit: Permit, duration: float) -> None:
        self._settle(permit, False, duration)

    def on_failure(self, permit: Permit, duration: float) -> None:
        self._settle(permit, True, duration)

    def on_ignored(self, permit: Permit) -> None:
        """The call's outcome says nothing about the downstream (e.g. it was cancelled)."""
        if permit._settled:
            return
        permit._settled = True
        self._advance(self._clock())
        if self._is_current_probe(permit):
            self._probes -= 1  # the slot goes back, or half-open could wait forever

    # -- operator ------------------------------------------------------------------------

    def set_mode(self, mode: Mode) -> None:
        """Force a mode at run time; "normal" re-arms the breaker closed with no history."""
        check.choice("mode", mode, MODES)
        target = _MODE_STATE[mode]
        now = self._clock()
        self._advance(now)
        if target == self._state:
            return
        if target == "closed":
            self._reset_closed()
        self._transition(now, target, "forced")

    # -- machine -------------------------------------------------------------------------

    def _is_current_probe(self, permit: Permit) -> bool:
        return self._state == "half_open" and permit.probe and permit._epoch == self._epoch

    def _settle(self, permit: Permit, failed: bool, duration: float) -> None:
        if permit._settled:
            return
        permit._settled = True
        now = self._clock()
        self._advance(now)
        if permit._epoch != self._epoch:
            # Admitted before the last transition: its result describes a breaker that no
            # longer exists (e.g. a late failure from before a probe closed it).
            return
        slow = duration > self.config.slow_call_duration
        if self._state in ("closed", "metrics_only"):
            self._record(now, failed, slow)
        elif self._is_current_probe(permit):
            self._judge_probe(now, failed, slow, duration)
        # open, forced_open, disabled: the outcome is not counted

    def _record(self, now: float, failed: bool, slow: bool) -> None:
        self._window.record(now, failed, slow)
        self._consecutive = self._consecutive + 1 if failed else 0
        reason = self._trip_reason(now)
        if self._state == "closed":
            if reason is not None:
                self._open(now, reason)
        elif reason is not None and not self._exceeded:
            failure_rate, slow_rate = self._rates(now)
            self._listener(BreakerThresholdExceeded(
                now, self.name, reason, failure_rate, slow_rate))
        self._exceeded = reason is not None

    def _trip_reason(self, now: float) -> str | None:
        cfg = self.config
        calls, failed, slow = self._window.totals(now)
        if calls >= self._minimum_calls:
            threshold = cfg.failure_rate_threshold
            if threshold is not None and failed / calls >= threshold:
                return f"failure_rate {failed / calls:.2f} >= {threshold:.2f}"
            threshold = cfg.slow_call_rate_threshold
            if threshold is not None and slow / calls >= threshold:
                return f"slow_call_rate {slow / calls:.2f} >= {threshold:.2f}"
        if cfg.consecutive_failures is not None and self._consecutive >= cfg.consecutive_failures:
            return f"consecutive_failures {self._consecutive}"
        if cfg.failure_count_threshold is not None and failed >= cfg.failure_count_threshold:
            return f"failure_count {failed} >= {cfg.failure_count_threshold}"
        return None

    def _judge_probe(self, now: float, failed: bool, slow: bool, duration: float) -> None:
        cfg = self.config
        slow_counts = slow and cfg.slow_call_rate_threshold is not None
        self._probe_slow += slow
        if failed or slow_counts:
            self._probe_bad += 1
            # Re-open as soon as the round can no longer reach its successes.
            if self._probe_bad > cfg.half_open_max_probes - cfg.successes_to_close:
                reason = "probe failed" if failed else (
                    f"probe slow {duration:.3f}s > {cfg.slow_call_duration:g}s")
                self._open_duration = min(
                    self._open_duration * cfg.open_duration_multiplier,
                    cfg.max_open_duration if cfg.max_open_duration is not None
                    else float("inf"))
                self._open(now, reason)
        else:
            self._probe_ok += 1
            if self._probe_ok >= cfg.successes_to_close:
                self._reset_closed()
                self._transition(now, "closed", "probe succeeded")

    def _open(self, now: float, reason: str) -> None:
        anchor = now
        if self.config.open_anchor == "last_call" and self._last_acquire is not None:
            anchor = self._last_acquire
        self._open_until = anchor + self._open_duration
        self._opens += 1
        self._transition(now, "open", reason)

    def _advance(self, now: float) -> None:
        until = self._open_until
        if self._state != "open" or until is None or now < until:
            return
        # Stamped with the due time, so a late observer still records the exact timeline.
        if self.config.half_open_max_probes == 0:
            self._reset_closed()
            self._transition(until, "closed", "open_duration elapsed")
        else:
            self._transition(until, "half_open", "open_duration elapsed")

    def _reset_closed(self) -> None:
        self._window.clear()
        self._consecutive = 0
        self._exceeded = False
        self._open_duration = self.config.open_duration

    def _rates(self, now: float) -> tuple[float | None, float | None]:
        if self._state == "half_open":
            settled = self._probe_ok + self._probe_bad
            return _rate(self._probe_bad, settled), _rate(self._probe_slow, settled)
        calls, failed, slow = self._window.totals(now)
        return _rate(failed, calls), _rate(slow, calls)

    def _transition(self, t: float, to: State, reason: str) -> None:
        failure_rate, slow_rate = self._rates(t)
        previous, self._state = self._state, to
        self._epoch += 1
        self._probes = self._probe_ok = self._probe_bad = self._probe_slow = 0
        if to != "open":
            self._open_until = None
        self._listener(BreakerTransition(
            t, self.name, previous, to, reason, failure_rate, slow_rate,
            self._open_duration if to == "open" else None))
