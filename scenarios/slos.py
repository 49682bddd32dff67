"""The `[[slo]]` tables of a scenario file, each a validated `Slo`: its metric, one bound,
and the phase and downstream its metric requires, allows or refuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scenarios.fields import check_keys, read_text, read_threshold
from scenarios.model import METRICS, ScenarioPhase, Slo
from sim import SERVICES
from sim.errors import ConfigError, shown
from sim.plan import ServiceFaults

SLO_KEYS = ("metric", "max", "min", "phase", "downstream", "why")


def parse_slos(value: object, phases: tuple[ScenarioPhase, ...],
          base: ServiceFaults) -> tuple[Slo, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError("slo", "expected an array of tables ([[slo]])")
    slos: list[Slo] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(value):
        slo = _slo(raw, f"slo[{index}]", phases, base)
        if slo.id in seen:
            raise ConfigError(f"slo[{index}]", f"duplicate of slo[{seen[slo.id]}] ({slo.id}); "
                                               f"one threshold per metric and scope")
        seen[slo.id] = index
        slos.append(slo)
    return tuple(slos)


def _slo(raw: object, where: str, phases: tuple[ScenarioPhase, ...],
         base: ServiceFaults) -> Slo:
    if not isinstance(raw, Mapping):
        raise ConfigError(where, "expected a table with metric and max or min")
    check_keys(raw, SLO_KEYS, where)
    metric_name = raw.get("metric")
    if not isinstance(metric_name, str) or metric_name not in METRICS:
        problem = "is required" if metric_name is None else f"unknown metric {shown(metric_name)}"
        raise ConfigError(f"{where}.metric", f"{problem}; allowed: {', '.join(METRICS)}")
    metric = METRICS[metric_name]
    if ("max" in raw) == ("min" in raw):
        field = f"{where}.min" if "max" in raw else f"{where}.max"
        raise ConfigError(field, "give exactly one of max (an upper bound) or min (a lower "
                                 "bound)" + (", not both" if "max" in raw else ""))
    op = "max" if "max" in raw else "min"
    threshold = read_threshold(raw[op], metric.kind, f"{where}.{op}")
    phase, downstream = _scope(raw, metric_name, where, phases, base)
    why = read_text(raw.get("why"), f"{where}.why")
    return Slo(metric_name, threshold if op == "max" else None,
               threshold if op == "min" else None, phase, downstream, why)


def _scope(raw: Mapping[str, Any], metric_name: str, where: str,
           phases: tuple[ScenarioPhase, ...], base: ServiceFaults
           ) -> tuple[str | None, str | None]:
    """The SLO's phase and downstream, each required, optional or refused by its metric."""
    metric = METRICS[metric_name]
    names = [p.name for p in phases]
    phase = raw.get("phase")
    if metric.phase == "never" and phase is not None:
        raise ConfigError(f"{where}.phase", f"{metric_name} is measured over the whole run; "
                                            f"remove phase")
    if metric.phase == "required" and phase is None:
        raise ConfigError(f"{where}.phase", f"is required for {metric_name} (the phase whose "
                                            f"start it is measured from); phases: "
                                            f"{', '.join(names)}")
    if phase is not None and phase not in names:
        raise ConfigError(f"{where}.phase",
                          f"unknown phase {shown(phase)}; phases: {', '.join(names)}")
    downstream = raw.get("downstream")
    with_downstream = [name for name, m in METRICS.items() if m.downstream]
    if metric.downstream and downstream is None:
        raise ConfigError(f"{where}.downstream", f"is required for {metric_name}; allowed: "
                                                 f"{', '.join(SERVICES)}")
    if not metric.downstream and downstream is not None:
        raise ConfigError(f"{where}.downstream", f"{metric_name} does not take a downstream "
                                                 f"(only {', '.join(with_downstream)} do)")
    if downstream is not None and downstream not in SERVICES:
        raise ConfigError(f"{where}.downstream", f"unknown downstream {shown(downstream)}; "
                                                 "allowed: "
                                                 f"{', '.join(SERVICES)}")
    if metric_name == "breaker_time_to_open":
        _check_faulty(str(downstream), str(phase), phases, base, f"{where}.phase")
    return phase, downstream


def _check_faulty(downstream: str, phase: str, phases: tuple[ScenarioPhase, ...],
                  base: ServiceFaults, field: str) -> None:
    """Time to open is measured from the start of a phase in which the downstream has
    faults; anywhere else there is nothing to open on and the SLO could only fail."""
    def faulty(p: ScenarioPhase) -> bool:
        return bool(p.phase.faults.get(downstream, base.get(downstream, ())))

    if not faulty(next(p for p in phases if p.name == phase)):
        options = [p.name for p in phases if faulty(p)]
        choose = f"phases with {downstream} faults: {', '.join(options)}" if options else \
            f"no phase has {downstream} faults"
        raise ConfigError(field, f"{downstream} has no faults in phase {shown(phase)}, so its "
                                 f"breaker has nothing to open on; {choose}")
