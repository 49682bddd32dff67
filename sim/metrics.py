"""The metrics the project exposes: each declared here or with `declare()` by the BFF,
with its help text; docs/metrics.md lists them all. sim/exposition.py renders them.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        "Requests a simulated service finished, by HTTP status, refusals included "
        "(or 'reset' / 'abandoned' when no status was sent).", ("service", "status"))
declare("sim_requests_received_total", "counter",
        "Requests that reached a simulated service, counted on arrival (before any fault); "
        "equals the sum of sim_requests_total once none is in flight.", ("service",))
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
LEDGER_ALIASES = {"events_total": "sim_events_total"}
