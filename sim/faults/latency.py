"""latency: delay the response by a fixed time or a sample from a distribution."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, ClassVar

from sim.durations import MAX_DURATION, format_duration
from sim.errors import ConfigError
from sim.faults.base import Fault, Injection
from sim.faults.spec import SpecReader

DISTRIBUTIONS = ("fixed", "uniform", "normal", "lognormal", "pareto")


@dataclass(frozen=True)
class Latency(Fault):
    """Delay before the response. Parameters by distribution:

    fixed(delay), uniform(min, max), normal(mean, stddev), lognormal(median, sigma),
    pareto(scale, alpha). `jitter` adds a uniform +-jitter; `cap` bounds the result.
    """

    kind: ClassVar[str] = "latency"
    terminal: ClassVar[bool] = False
    dist: str = "fixed"
    a: float = 0.0  # delay | min | mean | median | scale (seconds)
    b: float = 0.0  # -    | max | stddev | sigma (unitless) | alpha (unitless)
    jitter: float = 0.0
    cap: float | None = None

    _PARAMS: ClassVar[dict[str, tuple[str, str | None]]] = {
        "fixed": ("delay", None),
        "uniform": ("min", "max"),
        "normal": ("mean", "stddev"),
        "lognormal": ("median", "sigma"),
        "pareto": ("scale", "alpha"),
    }

    @classmethod
    def from_spec(cls, spec: SpecReader) -> Latency:
        probability = spec.probability()
        dist = spec.choice("dist", DISTRIBUTIONS, "fixed")
        a_name, b_name = cls._PARAMS[dist]
        a = spec.duration(a_name)
        b = 0.0
        if b_name in ("max", "stddev"):
            b = spec.duration(b_name)
        elif b_name == "sigma":
            b = spec.number("sigma", low=0.0, high=10.0)
        elif b_name == "alpha":
            b = spec.number("alpha", low=0.01, high=100.0)
        if dist == "uniform" and b < a:
            raise ConfigError(spec.path("max"), f"must be >= min ({format_duration(a)})")
        if dist == "pareto" and a <= 0:
            raise ConfigError(spec.path("scale"), "must be > 0 for a pareto distribution")
        jitter = spec.duration("jitter", 0.0)
        cap = spec.optional_duration("cap")
        spec.finish(f" for dist={dist}")
        return cls(probability, dist, a, b, jitter, cap)

    def to_spec(self) -> dict[str, Any]:
        a_name, b_name = self._PARAMS[self.dist]
        fields: dict[str, Any] = {"dist": self.dist, a_name: format_duration(self.a)}
        if b_name in ("max", "stddev"):
            fields[b_name] = format_duration(self.b)
        elif b_name:
            fields[b_name] = self.b
        if self.jitter:
            fields["jitter"] = format_duration(self.jitter)
        if self.cap is not None:
            fields["cap"] = format_duration(self.cap)
        return self._spec(**fields)

    def draw(self, rng: random.Random) -> float:
        if self.dist == "fixed":
            value = self.a
        elif self.dist == "uniform":
            value = rng.uniform(self.a, self.b)
        elif self.dist == "normal":
            value = rng.gauss(self.a, self.b)
        elif self.dist == "lognormal":
            value = self.a * math.exp(rng.gauss(0.0, self.b)) if self.a > 0 else 0.0
        else:  # pareto: scale * (1 - U)^(-1/alpha), the inverse CDF (as paretovariate,
            # which divides by zero when U^(1/alpha) underflows for a small alpha)
            value = self.a * math.exp(min(-math.log(1.0 - rng.random()) / self.b, 700.0))
        if self.jitter:
            value += rng.uniform(-self.jitter, self.jitter)
        if self.cap is not None:
            value = min(value, self.cap)
        return min(max(0.0, value), MAX_DURATION)  # finite: /events and report.json are JSON

    def sample(self, rng: random.Random) -> Injection:
        return Injection(self.kind, delay=self.draw(rng))
