"""Prometheus exposition of the ledger, read at scrape time (nothing extra on the hot path).

Apart from sim/metrics.py's declarations so that prometheus_client is imported at the
first scrape, not at every start (issue 13: `sim serve` ready in 0.5 s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from sim.ledger import Ledger
from sim.metrics import LEDGER_ALIASES, METRICS, Gauges


class LedgerCollector(Collector):
    def __init__(self, ledger: Ledger, gauges: Callable[[], Gauges]) -> None:
        self._ledger = ledger
        self._gauges = gauges

    def collect(self) -> Iterable[Metric]:
        counters: dict[str, CounterMetricFamily] = {}
        for (raw_name, labels), value in sorted(self._ledger.counters.items()):
            name = LEDGER_ALIASES.get(raw_name, raw_name)
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
