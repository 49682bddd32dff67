"""Prometheus exposition of the ledger, read at scrape time (nothing extra on the hot path).

Every metric the project exposes is declared here or with `declare()` by the BFF, with its
help text; docs/metrics.md lists them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from sim.ledger import Ledger

Gauges = dict[str, dict[tuple[str, ...], float]]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: str  # counter | histogram | gauge
    help: str
    labels: tuple[str, ...]


METRICS: dict[str, MetricSpec] = {}


def declare(name: str, kind: str, help_text: str, labels: tuple[str, ...]) -> None:
    METRICS[name] = MetricSpec(name, kind, help_text, labels)


declare("sim_requests_total", "counter",
        "Requests answered by a simulated service, by HTTP status "
        "(or 'reset' / 'abandoned' when no status was sent).", ("service", "status"))
declare("sim_requests_received_total", "counter",
        "Requests that reached a simulated service, counted on arrival (before any fault).",
        ("service",))
declare("sim_faults_injected_total", "counter",
        "Faults injected into requests, by service and fault type.", ("service", "fault"))
declare("sim_request_duration_seconds", "histogram",
        "Time a simulated service took to answer, injected delay included.", ("service",))
declare("sim_events_total", "counter", "Ledger events emitted, by kind.", ("kind",))
declare("sim_service_listening", "gauge",
        "1 while a service's port accepts connections, 0 while a down fault holds.",
        ("service",))
declare("sim_phase_info", "gauge", "1 for the active phase of the armed timeline.",
        ("phase",))
declare("sim_asyncio_tasks", "gauge",
        "Live asyncio tasks in the simulator process (back to its idle level after load).",
        ())

# Counters the ledger keeps under a short key and the name they are exposed with.
_LEDGER_ALIASES = {"events_total": "sim_events_total"}


class LedgerCollector(Collector):
    def __init__(self, ledger: Ledger, gauges: Callable[[], Gauges]) -> None:
        self._ledger = ledger
        self._gauges = gauges

    def collect(self) -> Iterable[Metric]:
        counters: dict[str, CounterMetricFamily] = {}
        for (raw_name, labels), value in sorted(self._ledger.counters.items()):
            name = _LEDGER_ALIASES.get(raw_name, raw_name)
            spec = METRICS.get(name)
            if spec is None or spec.kind != "counter":
                continue
            family = counters.get(name)
            if family is None:
                family = counters[name] = CounterMetricFamily(name, spec.help,
                                                              labels=spec.labels)
            family.add_metric(list(labels), float(value))
        yield from counters.values()
        histograms: dict[str, HistogramMetricFamily] = {}
        for (name, labels), recorder in sorted(self._ledger.histograms.items()):
            spec = METRICS.get(name)
            if spec is None:
                continue
            histogram = histograms.get(name)
            if histogram is None:
                histogram = histograms[name] = HistogramMetricFamily(name, spec.help,
                                                                     labels=spec.labels)
            histogram.add_metric(list(labels), recorder.cumulative_buckets(), recorder.sum)
        yield from histograms.values()
        for name, values in self._gauges().items():
            spec = METRICS[name]
            gauge = GaugeMetricFamily(name, spec.help, labels=spec.labels)
            for gauge_labels, gauge_value in values.items():
                gauge.add_metric(list(gauge_labels), gauge_value)
            yield gauge


def exposition(ledger: Ledger, gauges: Callable[[], Gauges]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(ledger, gauges))
    # process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total, ...
    ProcessCollector(registry=registry)
    return generate_latest(registry)
