"""Configuration of the circuit breaker (see bff.policies.breaker for the machine)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bff.policies import _checks as check
from sim.durations import parse_duration
from sim.errors import ConfigError, shown

Mode = Literal["normal", "forced_open", "disabled", "metrics_only"]
WindowType = Literal["count", "time", "first_failure"]
OpenAnchor = Literal["trip", "last_call"]

MODES: tuple[Mode, ...] = ("normal", "forced_open", "disabled", "metrics_only")
WINDOW_TYPES: tuple[WindowType, ...] = ("count", "time", "first_failure")
OPEN_ANCHORS: tuple[OpenAnchor, ...] = ("trip", "last_call")


@dataclass(frozen=True)
class BreakerConfig:
    """Defaults follow resilience4j, except one half-open probe (Nygard's single trial
    call, since any failed probe re-opens by default). Thresholds set to None are off.

    window_type: "count" (last `window_size` calls), "time" (last `window_size` seconds)
      or "first_failure" (the book's: `window_size` seconds from the first failure). In a
      policy file or `--set`, a timed window's size is a duration ("10s", see
      `window_size_setting`), a count window's a whole number.
    minimum_calls: rates are not judged on fewer calls (capped at a count window's size).
    failure_count_threshold: trip on this many failures in the window, whatever the rate.
    slow_call_duration: a call longer than this is slow (success or failure alike).
    open_anchor: the open duration runs from the trip ("trip") or, as in the book, from
      the start of the last call admitted before it ("last_call").
    half_open_max_probes: 0 = no half-open phase, close when the open duration elapses.
    half_open_successes_to_close: None = all probes must succeed.
    """

    mode: Mode = "normal"
    window_type: WindowType = "count"
    window_size: float = 100
    minimum_calls: int = 100
    failure_rate_threshold: float | None = 0.5
    slow_call_rate_threshold: float | None = None
    slow_call_duration: float = 60.0
    consecutive_failures: int | None = None
    failure_count_threshold: int | None = None
    open_duration: float = 60.0
    open_duration_multiplier: float = 1.0
    max_open_duration: float | None = None
    open_anchor: OpenAnchor = "trip"
    half_open_max_probes: int = 1
    half_open_successes_to_close: int | None = None

    def __post_init__(self) -> None:
        check.choice("mode", self.mode, MODES)
        check.choice("window_type", self.window_type, WINDOW_TYPES)
        check.number("window_size", self.window_size, inclusive=False,
                     maximum=check.MAX_INTEGER)
        if self.window_type == "count" and not float(self.window_size).is_integer():
            raise ConfigError(
                "window_size", f"a count window needs a whole number of calls >= 1, "
                f"got {self.window_size!r}")
        check.integer("minimum_calls", self.minimum_calls, minimum=1)
        check.fraction("failure_rate_threshold", self.failure_rate_threshold)
        check.fraction("slow_call_rate_threshold", self.slow_call_rate_threshold)
        check.number("slow_call_duration", self.slow_call_duration, inclusive=False)
        for name in ("consecutive_failures", "failure_count_threshold"):
            if getattr(self, name) is not None:
                check.integer(name, getattr(self, name), minimum=1)
        check.number("open_duration", self.open_duration)
        check.number("open_duration_multiplier", self.open_duration_multiplier, minimum=1.0)
        if self.max_open_duration is not None:
            check.number("max_open_duration", self.max_open_duration,
                         minimum=self.open_duration)
        check.choice("open_anchor", self.open_anchor, OPEN_ANCHORS)
        check.integer("half_open_max_probes", self.half_open_max_probes, minimum=0)
        if self.half_open_successes_to_close is not None:
            needed = check.integer("half_open_successes_to_close",
                                   self.half_open_successes_to_close, minimum=1)
            if needed > self.half_open_max_probes:
                raise ConfigError(
                    "half_open_successes_to_close",
                    f"expected at most half_open_max_probes ({self.half_open_max_probes}), "
                    f"got {needed}")

    @classmethod
    def book(cls, max_failures: int = 3, window: float = 5.0,
             reset: float = 30.0) -> BreakerConfig:
        """The book's breaker (listing 10.11): open once `max_failures` failures happen
        within `window` s of the first one; fail fast until `reset` s after the start of
        the last admitted call, then close directly (no half-open probes)."""
        return cls(window_type="first_failure", window_size=window,
                   failure_rate_threshold=None, failure_count_threshold=max_failures,
                   open_duration=reset, open_anchor="last_call", half_open_max_probes=0)

    @property
    def successes_to_close(self) -> int:
        return self.half_open_successes_to_close or self.half_open_max_probes


def is_timed(window_type: str) -> bool:
    """A "time" or "first_failure" window: its size is a duration, not a count of calls."""
    return window_type != "count"


def window_size_setting(value: object, window_type: str, field: str) -> float:
    """`window_size` as a policy file or `--set` gives it, for a window of `window_type`:
    a whole number of calls for "count", a duration with a unit ("10s") otherwise; a
    bare 10 there was silently 10 s where 10 ms may have been meant."""
    if not is_timed(window_type):
        if isinstance(value, bool) or not isinstance(value, int) or \
                not 1 <= value <= check.MAX_INTEGER:
            raise ConfigError(field, f"a count window counts calls: expected a whole number "
                                     f"from 1 to {check.MAX_INTEGER:,}, got {shown(value)}; a "
                                     f"duration needs window_type = \"time\"")
        return float(value)
    try:
        return parse_duration(value, field)
    except ConfigError as exc:
        raise ConfigError(field, f"a {window_type!r} window lasts a duration: "
                                 f"{exc.problem}") from None


def describe_window(config: BreakerConfig) -> str:
    if is_timed(config.window_type):
        return f"{config.window_type} window of {config.window_size:g}s"
    return f"count window of {config.window_size:g} calls"
