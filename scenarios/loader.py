"""Reading scenario files (TOML) into validated `Scenario`s; the format is docs/scenarios.md.

Every problem is one `ConfigError` naming the file, the field path (`slo[1].max`,
`phases[2].faults.inventory[0].delay`, `load.users`; indexes count from 0) and what is
allowed, so `sim scenarios validate` can say exactly what is wrong.
The `[[slo]]` tables are read by scenarios/slos.py.
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
)
from scenarios.gate_rules import parse_gate
from scenarios.model import LoadProfile, OverrideValue, Scenario, ScenarioPhase, freeze
from scenarios.slos import parse_slos
from sim.durations import parse_duration
from sim.errors import ConfigError, shown
from sim.plan import parse_phases, parse_service_faults, read_toml

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
    slos = parse_slos(data.get("slo"), phases, base)
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

