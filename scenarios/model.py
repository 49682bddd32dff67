"""The validated, frozen scenario model (parsing lives in scenarios.loader).

A `Scenario` is what a scenario file says, checked: load, policy, a timeline of fault
phases and SLOs. It hands the simulator a `FaultPlan`, the BFF a `PolicySet` and the
reports its `Slo`s. `to_dict()` is the file format itself (durations as text with units), so
`Scenario.from_dict(s.to_dict()) == s` and a dict can be re-validated on the other side
of a process boundary (the locustfile gets the scenario as JSON).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bff.overrides import build_policy
from bff.policyset import PolicySet
from scenarios.gate_rules import GateRules
from sim.durations import format_duration
from sim.errors import ConfigError, shown
from sim.plan import FaultPlan, Phase, ServiceFaults, faults_to_dict

MetricKind = Literal["duration", "ratio", "number"]
PhaseUse = Literal["optional", "required", "never"]
Scalar = str | int | float | bool
OverrideValue = Scalar | tuple[Scalar, ...]

MIN_PHASE_SECONDS = 1.0  # shortening a run never squeezes a phase below this


@dataclass(frozen=True)
class Metric:
    """What an SLO metric measures and which scope fields it takes."""

    kind: MetricKind
    help: str
    downstream: bool = False  # True: `downstream` is required, else it is refused
    phase: PhaseUse = "optional"


METRICS: dict[str, Metric] = {
    "latency_p50": Metric("duration", "median BFF latency seen by the load generator"),
    "latency_p95": Metric("duration", "95th percentile of BFF latency seen by the clients"),
    "latency_p99": Metric("duration", "99th percentile of BFF latency seen by the clients"),
    "latency_max": Metric("duration", "slowest BFF answer seen by the clients"),
    "error_ratio": Metric("ratio", "failed requests / requests (not 200, or a bad body)"),
    "degraded_ratio": Metric("ratio", "200 answers with a non-empty `degraded` / requests"),
    "requests_per_second": Metric("number", "requests completed per second (usually min)"),
    "overhead_p99": Metric("duration", "p99 of client latency minus the injected delay on "
                                       "the critical path (200 answers)"),
    "breaker_time_to_open": Metric("duration", "from the start of `phase` to the first "
                                               "open of `downstream`'s breaker",
                                   downstream=True, phase="required"),
    "breaker_opens": Metric("number", "times `downstream`'s breaker opened in the run",
                            downstream=True, phase="never"),
    "retry_amplification": Metric("number", "attempts / logical calls to `downstream` over "
                                            "the run (1.0 = no retries)",
                                  downstream=True, phase="never"),
}


@dataclass(frozen=True)
class LoadProfile:
    users: int  # concurrent simulated users
    spawn_rate: float  # users started per second
    think_min: float  # seconds a user waits between requests: uniform in [min, max]
    think_max: float

    def to_dict(self) -> dict[str, Any]:
        return {"users": self.users, "spawn_rate": self.spawn_rate,
                "think_time": {"min": format_duration(self.think_min),
                               "max": format_duration(self.think_max)}}


@dataclass(frozen=True)
class ScenarioPhase:
    """A simulator phase (name, duration, faults) plus an optional change of load."""

    phase: Phase
    users: int | None = None  # None: the scenario's load.users
    spawn_rate: float | None = None

    @property
    def name(self) -> str:
        return self.phase.name

    @property
    def duration(self) -> float:
        return self.phase.duration

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "duration": format_duration(self.duration),
                               "faults": faults_to_dict(self.phase.faults)}
        if self.users is not None:
            out["users"] = self.users
        if self.spawn_rate is not None:
            out["spawn_rate"] = self.spawn_rate
        return out


@dataclass(frozen=True)
class Slo:
    """One threshold on one metric: exactly one of `max` / `min` is set (seconds for
    duration metrics, 0..1 for ratios)."""

    metric: str
    max: float | None = None
    min: float | None = None
    phase: str | None = None  # None: the whole run
    downstream: str | None = None
    why: str = ""  # what a breach means; shown next to a failed verdict

    @property
    def kind(self) -> MetricKind:
        return METRICS[self.metric].kind

    @property
    def op(self) -> Literal["max", "min"]:
        return "max" if self.max is not None else "min"

    @property
    def threshold(self) -> float:
        value = self.max if self.max is not None else self.min
        assert value is not None  # the loader guarantees exactly one
        return value

    @property
    def id(self) -> str:
        """Stable name for JUnit test cases and baselines, e.g. `latency_p95[steady]`,
        `retry_amplification[inventory]`, `breaker_time_to_open[inventory@outage]`."""
        scope = "@".join(part for part in (self.downstream, self.phase) if part)
        return f"{self.metric}[{scope}]" if scope else self.metric

    def to_dict(self) -> dict[str, Any]:
        threshold = format_duration(self.threshold) if self.kind == "duration" else \
            self.threshold
        out: dict[str, Any] = {"id": self.id, "metric": self.metric, "kind": self.kind,
                               self.op: threshold}
        if self.phase is not None:
            out["phase"] = self.phase
        if self.downstream is not None:
            out["downstream"] = self.downstream
        if self.why:
            out["why"] = self.why
        return out


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    tags: tuple[str, ...]
    seed: int
    policy_preset: str
    policy_overrides: tuple[tuple[str, OverrideValue], ...]
    load: LoadProfile
    phases: tuple[ScenarioPhase, ...]
    base_faults: ServiceFaults = field(default_factory=dict)
    slos: tuple[Slo, ...] = ()
    source: str = "<memory>"  # the file it came from, or "builtin:<name>"
    # When a 200 answer counts as degraded: (path, check) pairs; () = the default rule.
    degraded: tuple[tuple[str, str], ...] = ()

    def degraded_rule(self) -> dict[str, Any]:
        """scenarios/degraded.py's rule: the scenario's own, or the default."""
        from scenarios.degraded import DEFAULT_RULE

        if not self.degraded:
            return DEFAULT_RULE
        return {"any": [{"path": path, "is": check} for path, check in self.degraded]}
    gate: GateRules = field(default_factory=GateRules)  # allowed regressions (sim ab)

    @property
    def duration(self) -> float:
        return sum(phase.duration for phase in self.phases)

    def fault_plan(self) -> FaultPlan:
        return FaultPlan(self.base_faults, tuple(p.phase for p in self.phases), self.seed)

    def policy(self) -> PolicySet:
        return build_policy(self.policy_preset, dict(self.policy_overrides), self.source)

    def users_in(self, phase: ScenarioPhase) -> int:
        return phase.users if phase.users is not None else self.load.users

    def spawn_rate_in(self, phase: ScenarioPhase) -> float:
        return phase.spawn_rate if phase.spawn_rate is not None else self.load.spawn_rate

    def with_duration(self, total: float) -> Scenario:
        """The same timeline scaled to `total` seconds, each phase proportionally but never
        below 1 s, so `sim run --duration 30s` keeps every phase (and its SLOs) alive."""
        durations = scale_durations([p.duration for p in self.phases], total)
        phases = tuple(replace(p, phase=replace(p.phase, duration=d))
                       for p, d in zip(self.phases, durations, strict=True))
        return replace(self, phases=phases)

    def with_users(self, users: int) -> Scenario:
        """`users` concurrent users in every phase (per-phase load changes are dropped)."""
        if isinstance(users, bool) or not isinstance(users, int) or users < 1:
            raise ConfigError("users", f"must be an integer >= 1, got {shown(users)}")
        phases = tuple(replace(p, users=None) for p in self.phases)
        return replace(self, load=replace(self.load, users=users), phases=phases)

    def with_policy(self, preset: str | None = None,
                    extra_overrides: Mapping[str, Any] | None = None) -> Scenario:
        """Another preset and/or more overrides (applied after the scenario's own). A new
        preset drops the scenario's overrides: they were tuned for the old one."""
        overrides = self.policy_overrides if preset in (None, self.policy_preset) else ()
        merged = dict(overrides)
        merged.update({path: freeze(value) for path, value in (extra_overrides or {}).items()})
        changed = replace(self, policy_preset=preset or self.policy_preset,
                          policy_overrides=tuple(merged.items()))
        changed.policy()  # validate now: a bad override is a usage error, not a crash later
        return changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "description": self.description, "tags": list(self.tags),
            "seed": self.seed,
            "policy": {"preset": self.policy_preset,
                       "overrides": {path: thaw(value) for path, value in self.policy_overrides}},
            "load": self.load.to_dict(),
            "faults": faults_to_dict(self.base_faults),
            "phases": [phase.to_dict() for phase in self.phases],
            "slo": [slo.to_dict() for slo in self.slos],
            **({"degraded": self.degraded_rule()} if self.degraded else {}),
            "gate": self.gate.to_dict(),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """The inverse of `to_dict` (re-validated: the dict may have crossed a process)."""
        # Parsing lives in the loader, which imports this module; import it late.
        from scenarios.loader import parse_scenario

        body = dict(data)
        source = body.pop("source", "<dict>")
        body["slo"] = [{k: v for k, v in slo.items() if k not in ("id", "kind")}
                       if isinstance(slo, Mapping) else slo for slo in body.get("slo", [])]
        return parse_scenario(body, source=str(source))


def freeze(value: Any) -> OverrideValue:
    """TOML/JSON arrays become tuples so a Scenario stays immutable (and comparable)."""
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"unsupported override value {shown(value)}")


def thaw(value: OverrideValue) -> Any:
    return list(value) if isinstance(value, tuple) else value


def scale_durations(durations: Sequence[float], total: float,
                    minimum: float = MIN_PHASE_SECONDS) -> list[float]:
    """Scale to sum to `total`, proportionally, with no entry below `minimum` (rounded to
    the millisecond; the largest entry absorbs the rounding so the sum stays exact)."""
    count = len(durations)
    if count == 0:
        raise ConfigError("duration", "the scenario has no phases to scale")
    if not total >= minimum * count:  # also refuses NaN
        raise ConfigError("duration", f"must give each of the {count} phases at least "
                                      f"{minimum:g} s (at least {minimum * count:g} s), "
                                      f"got {total:g} s")
    pinned: set[int] = set()
    while True:  # pin phases that would fall below the minimum, share the rest, repeat
        free = [i for i in range(count) if i not in pinned]
        if not free:  # only by rounding when total is exactly minimum * count
            scaled: dict[int, float] = {}
            break
        left = total - minimum * len(pinned)
        weight = sum(durations[i] for i in free)
        scaled = {i: durations[i] * left / weight for i in free}
        low = {i for i, value in scaled.items() if value < minimum}
        if not low:
            break
        pinned |= low
    out = [minimum if i in pinned else round(scaled[i], 3) for i in range(count)]
    largest = max(range(count), key=lambda i: out[i])
    out[largest] = round(out[largest] + total - sum(out), 3)
    return out
