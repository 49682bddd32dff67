"""BFF telemetry: events into the simulator's ledger, counters and histograms, and the
Prometheus names they are exposed under (resilience4j-style, documented in docs/metrics.md).
"""

from __future__ import annotations

import dataclasses

from sim.events import Event
from sim.latency import LatencyRecorder
from sim.ledger import Labels, Ledger
from sim.metrics import declare

declare("bff_requests_total", "counter",
        "BFF /products/all answers by outcome: complete, degraded, 504, 500, 400.",
        ("outcome",))
declare("bff_request_duration_seconds", "histogram",
        "BFF /products/all latency by outcome.", ("outcome",))
declare("bff_calls_total", "counter",
        "Logical downstream calls (retries included in one) by result: success, "
        "fallback, failed, cancelled.", ("downstream", "result"))
declare("bff_attempts_total", "counter",
        "Attempts sent to a downstream, by outcome: ok; a failure (timeout, "
        "connection_error, status 503, malformed, error); or cancelled (a hedge that lost, "
        "a request that went away: counted neither way by the breaker).",
        ("downstream", "outcome"))
declare("bff_attempts_not_sent_total", "counter",
        "Attempts that never reached the wire, by reason: deadline (already passed), "
        "pool_timeout (no pooled connection free in time), unencodable, client_closed "
        "(not breaker failures, not in bff_attempts_total).", ("downstream", "reason"))
declare("bff_attempt_duration_seconds", "histogram",
        "Duration of attempts neither cut off by a timeout nor cancelled.",
        ("downstream",))
declare("bff_timeouts_total", "counter",
        "Attempts cut off, by which timeout fired: per_try or deadline.",
        ("downstream", "which"))
declare("bff_retries_scheduled_total", "counter", "Retries scheduled.", ("downstream",))
declare("bff_retries_blocked_total", "counter",
        "Failures not retried, by reason: max_attempts, budget, breaker_open, deadline, "
        "not_retryable.", ("downstream", "reason"))
declare("bff_breaker_not_permitted_total", "counter",
        "Calls the circuit breaker rejected without calling.", ("downstream",))
declare("bff_breaker_transitions_total", "counter", "Circuit breaker state changes.",
        ("downstream", "from_state", "to_state"))
declare("bff_breaker_state", "gauge",
        "1 for the breaker's current state (closed, open, half_open, forced_open, "
        "disabled, metrics_only).", ("downstream", "state"))
declare("bff_bulkhead_rejected_total", "counter",
        "Calls refused because the downstream's concurrency cap was reached.",
        ("downstream",))
declare("bff_fallbacks_total", "counter",
        "Failed calls answered by a fallback, by what was served: null, last_good.",
        ("downstream", "served"))
declare("bff_hedges_total", "counter", "Hedged attempts: sent, won.",
        ("downstream", "result"))
declare("bff_abandoned_total", "counter",
        "Attempts the BFF gave up on while the downstream was still working on them "
        "(timeouts, hedge losers): work left running downstream.", ("downstream",))


class Telemetry:
    """Where the BFF reports: the host's ledger. Clock readings become ledger time."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.counters = ledger.counters

    def now(self) -> float:
        return self.ledger.now()

    def emit(self, event: Event) -> None:
        """An event whose `t` is already ledger time (see `now()`)."""
        self.ledger.emit(event)

    def emit_from_clock(self, event: Event) -> None:
        """Events from the pure policies carry raw clock readings in `t`; convert them."""
        self.ledger.emit(dataclasses.replace(event, t=self.ledger.at(event.t)))

    def count(self, metric: str, labels: Labels, n: int = 1) -> None:
        self.counters[(metric, labels)] += n

    def observe(self, metric: str, labels: Labels, seconds: float) -> None:
        self.ledger.observe(metric, labels, seconds)


class DownstreamKeys:
    """One downstream's counter keys, built once instead of a label tuple per call (the
    hot path adds to `Telemetry.counters[key]` directly), and its attempt-duration
    histogram once the ledger has created it (on the first observation, as before)."""

    __slots__ = ("_by_metric", "_durations", "_ledger", "name")

    def __init__(self, name: str, ledger: Ledger) -> None:
        self.name = name
        self._ledger = ledger
        self._by_metric: dict[tuple[str, str | None], tuple[str, Labels]] = {}
        self._durations: LatencyRecorder | None = None

    def key(self, metric: str, label: str | None = None) -> tuple[str, Labels]:
        """The counter key of `metric` for this downstream (and one more label)."""
        found = self._by_metric.get((metric, label))
        if found is None:
            labels = (self.name,) if label is None else (self.name, label)
            found = self._by_metric[(metric, label)] = (metric, labels)
        return found

    def observe_attempt(self, seconds: float) -> None:
        recorder = self._durations
        if recorder is None:
            recorder = self._durations = self._ledger.histogram(
                "bff_attempt_duration_seconds", (self.name,))
        recorder.record(seconds)
