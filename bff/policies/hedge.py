"""Hedging: if an attempt has not answered after a delay, send a second one; the first
answer wins and the other is cancelled. Charged to the retry budget like a retry.
Cancelled attempts (the losers) are not samples of the downstream's latency."""

from __future__ import annotations

from dataclasses import dataclass

from bff.clock import Clock
from bff.policies import _checks as check
from sim.latency import LatencyRecorder


@dataclass(frozen=True)
class HedgeConfig:
    enabled: bool = False
    delay: float | None = 0.05  # None: the observed p95 of this downstream's attempts
    min_samples: int = 50  # before p95 is trusted; until then `fallback_delay` is used
    fallback_delay: float = 0.05

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            from sim.errors import ConfigError

            raise ConfigError("enabled", f"expected true or false, got {self.enabled!r}")
        if self.delay is not None:
            check.number("delay", self.delay)
        check.integer("min_samples", self.min_samples, minimum=1)
        check.number("fallback_delay", self.fallback_delay)


# An HDR percentile walks the whole histogram (0.5 to 5 ms); the p95 moves slowly, so it
# is recomputed at most once per this much clock time, however many calls ask for it.
REFRESH_SECONDS = 1.0


class HedgeDelay:
    """How long to wait before hedging: the configured delay, or (delay = none) the p95
    of this downstream's attempts that ended (cancelled ones are not samples), cached for
    REFRESH_SECONDS."""

    def __init__(self, config: HedgeConfig, clock: Clock) -> None:
        self.config = config
        self.observed = LatencyRecorder()
        self._clock = clock
        self._tracks = config.enabled and config.delay is None
        self._p95 = 0.0
        self._computed_at: float | None = None

    def record(self, seconds: float) -> None:
        if self._tracks:
            self.observed.record(seconds)

    def current(self) -> float:
        config = self.config
        if config.delay is not None:
            return config.delay
        if self.observed.count < config.min_samples:
            return config.fallback_delay
        now = self._clock()
        if self._computed_at is None or now - self._computed_at >= REFRESH_SECONDS:
            self._p95 = self.observed.percentile(95)
            self._computed_at = now
        return self._p95
