"""Hedging: if an attempt has not answered after a delay, send a second one; the first
answer wins and the other is cancelled. Charged to the retry budget like a retry."""

from __future__ import annotations

from dataclasses import dataclass

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


def hedge_delay(config: HedgeConfig, observed: LatencyRecorder) -> float:
    if config.delay is not None:
        return config.delay
    if observed.count < config.min_samples:
        return config.fallback_delay
    return observed.percentile(95)
