"""Fault plans: base faults per service plus a timeline of phases, loaded from TOML.

```toml
seed = 7
[faults]                       # active before the timeline is armed and after it ends
inventory = [{ type = "latency", dist = "uniform", min = "0s", max = "5s" }]

[[phases]]
name = "outage"
duration = "20s"
faults.inventory = [{ type = "hang" }]   # replaces the base faults of inventory only
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim import SERVICES
from sim.durations import format_duration, parse_duration
from sim.errors import ConfigError, shown
from sim.faults import Fault, parse_faults

ServiceFaults = Mapping[str, tuple[Fault, ...]]


@dataclass(frozen=True)
class Phase:
    name: str
    duration: float
    faults: ServiceFaults = field(default_factory=dict)


@dataclass(frozen=True)
class FaultPlan:
    base: ServiceFaults = field(default_factory=dict)
    phases: tuple[Phase, ...] = ()
    seed: int | None = None

    @property
    def total_duration(self) -> float:
        return sum(phase.duration for phase in self.phases)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "faults": faults_to_dict(self.base),
            "phases": [
                {"name": p.name, "duration": format_duration(p.duration),
                 "faults": faults_to_dict(p.faults)}
                for p in self.phases
            ],
        }


def faults_to_dict(faults: ServiceFaults) -> dict[str, list[dict[str, Any]]]:
    return {service: [f.to_spec() for f in items] for service, items in faults.items()}


def parse_service_faults(value: object, field: str) -> dict[str, tuple[Fault, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(field, "expected a table of service = [faults]")
    out: dict[str, tuple[Fault, ...]] = {}
    for service, items in value.items():
        if service not in SERVICES:
            raise ConfigError(f"{field}.{service}",
                              f"unknown service; allowed: {', '.join(SERVICES)}")
        out[service] = parse_faults(items, f"{field}.{service}")
    return out


def parse_phases(value: object, field: str = "phases",
                 extra_keys: frozenset[str] = frozenset()) -> tuple[Phase, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(field, "expected an array of tables ([[phases]])")
    phases: list[Phase] = []
    names: set[str] = set()
    for index, raw in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(raw, Mapping):
            raise ConfigError(where, "expected a table with name, duration and faults")
        allowed = {"name", "duration", "faults"} | extra_keys
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}",
                              f"unknown field; allowed: {', '.join(sorted(allowed))}")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.name", "is required (a non-empty string)")
        if name in names:
            raise ConfigError(f"{where}.name", f"duplicate phase name {shown(name)}")
        names.add(name)
        if "duration" not in raw:
            raise ConfigError(f"{where}.duration", 'is required (a duration such as "30s")')
        duration = parse_duration(raw["duration"], f"{where}.duration")
        if duration <= 0:
            raise ConfigError(f"{where}.duration", "must be greater than zero")
        phases.append(Phase(name, duration, parse_service_faults(raw.get("faults"),
                                                                 f"{where}.faults")))
    return tuple(phases)


def parse_fault_plan(data: Mapping[str, Any]) -> FaultPlan:
    allowed = {"seed", "faults", "phases"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(unknown[0], f"unknown field; allowed: {', '.join(sorted(allowed))}")
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not 0 <= seed < 2**63):
        raise ConfigError("seed", f"expected an integer from 0 to 2**63-1, got {shown(seed)}")
    return FaultPlan(parse_service_faults(data.get("faults"), "faults"),
                     parse_phases(data.get("phases")), seed)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("file", "does not exist", source=str(path)) from None
    except OSError as exc:
        raise ConfigError("file", f"cannot be read ({exc.strerror})", source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("toml", f"not valid TOML ({exc})", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError("file", f"is not UTF-8 text (byte {exc.start}); TOML files are "
                                  f"UTF-8", source=str(path)) from None
    except ValueError as exc:  # e.g. an integer past Python's 4,300-digit limit
        raise ConfigError("toml", f"not readable ({exc})", source=str(path)) from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise ConfigError("toml", "nested too deeply to read", source=str(path)) from None


def load_fault_plan(path: Path) -> FaultPlan:
    try:
        return parse_fault_plan(read_toml(path))
    except ConfigError as exc:
        raise exc.within(source=str(path)) from None
