"""Reading scenario files (TOML) into validated `Scenario`s; the format is docs/scenarios.md.

Every problem is one `ConfigError` naming the file, the field path (`slo[1].max`,
`phases[2].faults.inventory[0].delay`, `load.users`; indexes count from 0) and what is
allowed, so `sim scenarios validate` can say exactly what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from bff.overrides import build_policy, flatten
from bff.policyset import PRESETS
from scenarios.degraded import parse_rule
from scenarios.fields import (
    MAX_USERS,
    check_keys,
    did_you_mean,
    read_integer,
    read_rate,
    read_table,
    read_text,
    read_threshold,
)
from scenarios.gate_rules import parse_gate
from scenarios.model import (
    METRICS,
    LoadProfile,
    OverrideValue,
    Scenario,
    ScenarioPhase,
    Slo,
    freeze,
)
from sim import SERVICES
from sim.durations import parse_duration
from sim.errors import ConfigError, shown
from sim.plan import ServiceFaults, parse_phases, parse_service_faults, read_toml

CATALOGUE = Path(__file__).with_name("catalogue")
# Scenario and tag names: also what keeps a built-in name from leaving CATALOGUE.
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Phase names appear inside SLO ids ("latency_p95[outage]"), so no brackets or "@".
PHASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
NAME_HELP = 'lowercase letters, digits and dashes, such as "slow-inventory"'

TOP_KEYS = ("name", "description", "tags", "seed", "policy", "load", "faults", "phases",
            "slo", "degraded", "gate")
POLICY_KEYS = ("preset", "overrides")
LOAD_KEYS = ("users", "spawn_rate", "think_time")
THINK_KEYS = ("min", "max")
PHASE_LOAD_KEYS = frozenset({"users", "spawn_rate"})
SLO_KEYS = ("metric", "max", "min", "phase", "downstream", "why")

DEFAULT_USERS = 10
DEFAULT_THINK = (0.05, 0.1)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in by name (`slow-inventory`) or a scenario file (`my/scenario.toml`)."""
    if isinstance(name_or_path, Path) or name_or_path.endswith(".toml"):
        return validate_file(name_or_path)
    name = name_or_path
    names = builtin_names()
    if not NAME.match(name):
        raise ConfigError("scenario", f"{shown(name)} is neither a built-in scenario ({NAME_HELP}) "
                                      f"nor a .toml file; built-ins: {', '.join(names)}")
    path = CATALOGUE / f"{name}.toml"
    if name not in names:
        hint = did_you_mean(name, names)
        raise ConfigError("scenario", f"unknown scenario {shown(name)}{hint}; built-ins: "
                                      f"{', '.join(names)}; or give a path to a .toml file")
    scenario = validate_file(path)
    if scenario.name != name:
        raise ConfigError("name", f"must be {shown(name)}, the file's name, for a built-in; got "
                                  f"{shown(scenario.name)}", source=str(path))
    return replace(scenario, source=f"builtin:{name}")


def builtin_names() -> list[str]:
    return sorted(path.stem for path in CATALOGUE.glob("*.toml"))


def list_builtins() -> list[Scenario]:
    return [load_scenario(name) for name in builtin_names()]


def validate_file(path: str | Path) -> Scenario:
    """Read and validate one scenario file; any problem is a ConfigError naming the file."""
    source = str(path)
    return parse_scenario(read_toml(Path(path)), source=source)


def parse_scenario(data: Mapping[str, Any], source: str = "<memory>") -> Scenario:
    try:
        return _parse(data, source)
    except ConfigError as exc:
        raise exc.within(source=source) from None


def _parse(data: Mapping[str, Any], source: str) -> Scenario:
    check_keys(data, TOP_KEYS, "")
    name = _name(data.get("name"))
    description = read_text(data.get("description"), "description")
    tags = _tags(data.get("tags"))
    seed = read_integer(data.get("seed", 0), "seed", low=0, high=2**63 - 1)
    preset, overrides = _policy(data.get("policy"), source)
    load = _load(data.get("load"))
    base = parse_service_faults(data.get("faults"), "faults")
    phases = _phases(data.get("phases"))
    slos = _slos(data.get("slo"), phases, base)
    degraded = () if data.get("degraded") is None else tuple(
        (c["path"], c["is"]) for c in parse_rule(data["degraded"])["any"])
    return Scenario(name, description, tags, seed, preset, overrides, load, phases, base,
                    slos, source, degraded,
                    gate=parse_gate(data.get("gate")))


def _name(value: object) -> str:
    if value is None:
        raise ConfigError("name", f"is required ({NAME_HELP})")
    if not isinstance(value, str) or not NAME.match(value):
        raise ConfigError("name", f"expected {NAME_HELP}, got {shown(value)}")
    return value


def _tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError("tags", 'expected an array of tags such as ["smoke"], '
                                  f"got {shown(value)}")
    for index, tag in enumerate(value):
        if not isinstance(tag, str) or not NAME.match(tag):
            raise ConfigError(f"tags[{index}]", f"expected {NAME_HELP}, got {shown(tag)}")
    return tuple(dict.fromkeys(value))  # de-duplicated, in order


def _policy(value: object, source: str) -> tuple[str, tuple[tuple[str, OverrideValue], ...]]:
    section = read_table(value, "policy")
    check_keys(section, POLICY_KEYS, "policy")
    preset = section.get("preset", "resilient")
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ConfigError("policy.preset",
                          f"must be one of {', '.join(PRESETS)}; got {shown(preset)}")
    raw = read_table(section.get("overrides"), "policy.overrides")
    overrides: dict[str, OverrideValue] = {}
    # Both `{ "inventory.retry.max_attempts" = 2 }` and nested tables flatten to paths.
    for path, item in flatten(raw).items():
        try:
            overrides[path] = freeze(item)
        except TypeError:
            raise ConfigError(f"policy.overrides.{path}", f"expected a string, number, "
                                                          f"boolean or array, got {shown(item)}"
                              ) from None
    try:
        build_policy(preset, overrides, source)
    except ConfigError as exc:
        raise ConfigError(f"policy.overrides.{exc.field}", exc.problem) from None
    return preset, tuple(overrides.items())


def _load(value: object) -> LoadProfile:
    section = read_table(value, "load")
    check_keys(section, LOAD_KEYS, "load")
    users = read_integer(section.get("users", DEFAULT_USERS), "load.users", low=1, high=MAX_USERS)
    spawn_rate = read_rate(section.get("spawn_rate", users), "load.spawn_rate")
    think_min, think_max = _think(section.get("think_time"))
    return LoadProfile(users, spawn_rate, think_min, think_max)


def _think(value: object) -> tuple[float, float]:
    if value is None:
        return DEFAULT_THINK
    if not isinstance(value, Mapping):  # one duration: a constant think time
        seconds = parse_duration(value, "load.think_time")
        return seconds, seconds
    check_keys(value, THINK_KEYS, "load.think_time")
    for key in THINK_KEYS:
        if key not in value:
            raise ConfigError(f"load.think_time.{key}", 'is required (a duration such as '
                                                        '"100ms")')
    low = parse_duration(value["min"], "load.think_time.min")
    high = parse_duration(value["max"], "load.think_time.max")
    if high < low:
        raise ConfigError("load.think_time.max", f"must be >= min ({low:g} s), got {high:g} s")
    return low, high


def _phases(value: object) -> tuple[ScenarioPhase, ...]:
    if value is None or value == []:
        raise ConfigError("phases", "is required: at least one [[phases]] table with a name "
                                    "and a duration")
    phases = parse_phases(value, "phases", PHASE_LOAD_KEYS)
    assert isinstance(value, list)  # parse_phases refused anything else
    out = []
    for index, (phase, raw) in enumerate(zip(phases, value, strict=True)):
        where = f"phases[{index}]"
        if not PHASE_NAME.match(phase.name):
            raise ConfigError(f"{where}.name", f"expected letters, digits, '-', '_' or '.' "
                                               f"(it names the phase in SLO ids), got "
                                               f"{shown(phase.name)}")
        users = raw.get("users")
        if users is not None:
            users = read_integer(users, f"{where}.users", low=0, high=MAX_USERS)
        spawn_rate = raw.get("spawn_rate")
        if spawn_rate is not None:
            spawn_rate = read_rate(spawn_rate, f"{where}.spawn_rate")
        out.append(ScenarioPhase(phase, users, spawn_rate))
    return tuple(out)


def _slos(value: object, phases: tuple[ScenarioPhase, ...],
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
