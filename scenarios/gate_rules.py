"""How much worse B may be than A before the gate fails: a scenario's `[gate]` table and
`--allow metric=value` on the command line (docs/scenarios.md, docs/ci.md).

Latency allowances are an absolute duration, a share of A's value, or both (whichever is
larger); count allowances are absolute (ratio points, extra attempts per call, opens per
round). Parsing errors are ConfigErrors naming the field and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sim.durations import format_duration, parse_duration
from sim.errors import ConfigError, shown

LATENCY_KEYS = ("p50", "p95", "p99", "mean")
COUNT_KEYS = ("error_ratio", "degraded_ratio", "amplification", "breaker_opens")
GATE_KEYS = (*LATENCY_KEYS, *COUNT_KEYS, "confidence")
LATENCY_HELP = ('a duration such as "2ms", a share of A\'s value such as "10%", or both '
                'as ["2ms", "10%"] (whichever is larger)')


@dataclass(frozen=True)
class Allowance:
    """B may exceed A by max(absolute, relative x A's value) before it is a regression."""

    absolute: float = 0.0  # seconds, ratio points, attempts per call, or opens per round
    relative: float = 0.0  # share of A's value (latencies only)

    def limit(self, a_value: float) -> float:
        return max(self.absolute, self.relative * abs(a_value))

    def to_value(self, unit: str) -> Any:
        parts: list[Any] = []
        if self.absolute or not self.relative:
            parts.append(format_duration(self.absolute) if unit == "s" else self.absolute)
        if self.relative:
            parts.append(f"{self.relative * 100:g}%")
        return parts[0] if len(parts) == 1 else parts

    def describe(self, unit: str) -> str:
        absolute = (f"{self.absolute * 1000:g} ms" if unit == "s" else
                    f"{self.absolute * 100:g} points" if unit == "ratio" else
                    f"{self.absolute:g}")
        if not self.relative:
            return f"+{absolute}"
        if not self.absolute:
            return f"+{self.relative * 100:g}%"
        return f"+{absolute} or +{self.relative * 100:g}%, whichever is larger"


def _latency(absolute_ms: float, relative: float) -> Allowance:
    return Allowance(absolute_ms / 1000, relative)


@dataclass(frozen=True)
class GateRules:
    p50: Allowance = field(default_factory=lambda: _latency(1.0, 0.02))
    p95: Allowance = field(default_factory=lambda: _latency(2.5, 0.05))
    p99: Allowance = field(default_factory=lambda: _latency(5.0, 0.10))
    mean: Allowance = field(default_factory=lambda: _latency(1.0, 0.02))
    error_ratio: Allowance = field(default_factory=lambda: Allowance(0.01))
    degraded_ratio: Allowance = field(default_factory=lambda: Allowance(0.01))
    amplification: Allowance = field(default_factory=lambda: Allowance(0.10))
    breaker_opens: Allowance = field(default_factory=lambda: Allowance(1.0))
    confidence: float = 0.95  # of every interval

    def allowance(self, key: str) -> Allowance:
        value: Allowance = getattr(self, key)
        return value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: self.allowance(key).to_value(
            "s" if key in LATENCY_KEYS else "") for key in (*LATENCY_KEYS, *COUNT_KEYS)}
        out["confidence"] = self.confidence
        return out

    def with_values(self, values: Mapping[str, object], where: str) -> GateRules:
        """These rules with some entries replaced (from a [gate] table or --allow)."""
        changes: dict[str, Any] = {}
        for key, value in values.items():
            path = f"{where}.{key}" if where else key
            if key == "confidence":
                changes[key] = _confidence(value, path)
            elif key in LATENCY_KEYS:
                changes[key] = _latency_allowance(value, path)
            elif key in COUNT_KEYS:
                changes[key] = _count_allowance(key, value, path)
            else:
                raise ConfigError(path, f"unknown field; allowed: {', '.join(GATE_KEYS)}")
        return replace(self, **changes)


def parse_gate(value: object, where: str = "gate") -> GateRules:
    if value is None:
        return GateRules()
    if not isinstance(value, Mapping):
        raise ConfigError(where, f"expected a table, got {shown(value)}")
    return GateRules().with_values(value, where)


def parse_allow_options(rules: GateRules, options: Iterable[str]) -> GateRules:
    """`--allow p95=5ms`, `--allow p99=5ms,10%`, `--allow error_ratio=2%`."""
    values: dict[str, object] = {}
    for text in options:
        key, sep, raw = text.partition("=")
        if not sep or not raw.strip():
            raise ConfigError("--allow", f"expected metric=value such as p95=5ms, got "
                                         f"{shown(text)}; metrics: {', '.join(GATE_KEYS)}")
        parts = [part.strip() for part in raw.split(",")]
        values[key.strip()] = parts if len(parts) > 1 else _number_or_text(parts[0])
    return rules.with_values(values, "--allow")


def _number_or_text(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


def _percent(value: object) -> float | None:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            share = float(value.strip()[:-1]) / 100
        except ValueError:
            return None
        return share if 0 <= share <= 100 else None
    return None


def _latency_allowance(value: object, path: str) -> Allowance:
    items = value if isinstance(value, list | tuple) else [value]
    absolute, relative = 0.0, 0.0
    if not 1 <= len(items) <= 2:
        raise ConfigError(path, f"expected {LATENCY_HELP}, got {shown(value)}")
    for item in items:
        share = _percent(item)
        if share is not None:
            relative = share
            continue
        if isinstance(item, str) and "%" in item:
            raise ConfigError(path, f"expected {LATENCY_HELP}, got {shown(value)}")
        try:
            absolute = parse_duration(item, path)
        except ConfigError:
            raise ConfigError(path, f"expected {LATENCY_HELP}, got {shown(value)}") from None
    return Allowance(absolute, relative)


def _count_allowance(key: str, value: object, path: str) -> Allowance:
    if key.endswith("_ratio"):
        share = _percent(value)
        if share is not None and share <= 1:
            return Allowance(share)
        help_text = 'ratio points: 0.01 or "1%"'
        limit = 1.0
    else:
        help_text = "a number >= 0 (extra attempts per call)" if key == "amplification" \
            else "a number >= 0 (more opens per round)"
        limit = 1e6
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not 0 <= value <= limit:
        raise ConfigError(path, f"expected {help_text}, got {shown(value)}")
    return Allowance(float(value))


def _confidence(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not 0.5 <= value < 1:
        raise ConfigError(path, f"expected a confidence level from 0.5 to 0.999 such as "
                                f"0.95, got {shown(value)}")
    return float(value)
