"""A JSON Schema (draft 2020-12) of scenario files, for editors (`sim scenarios schema`).

TOML editors (Taplo, Even Better TOML) check a file against it with a first-line
`#:schema ./scenario.schema.json`. The loader stays the authority: it also checks what a
schema cannot say well (phase names an SLO refers to, policy override paths). Enums come
from the code (metrics, presets, services, fault types) so the schema cannot drift.
"""

from __future__ import annotations

from typing import Any

from bff.policyset import PRESETS
from scenarios.degraded import CHECKS
from scenarios.fields import MAX_USERS
from scenarios.gate_rules import LATENCY_KEYS
from scenarios.loader import DEFAULT_USERS, NAME, PHASE_NAME
from scenarios.model import METRICS
from sim import SERVICES
from sim.durations import SCHEMA_PATTERN as DURATION_PATTERN  # the parser's own: no drift
from sim.faults.fail_first import MAX_ATTEMPTS
from sim.faults.latency import DISTRIBUTIONS

SCHEMA_ID = "urn:bff-sim:scenario"  # a name, not a download location
Schema = dict[str, Any]

DURATION: Schema = {
    "description": 'a duration with a unit: "250ms", "2s", "1m", "500us" (at most 1 day; '
                   'a bare number is refused, except 0)',
    "anyOf": [{"type": "string", "pattern": DURATION_PATTERN}, {"const": 0}],
}
PROBABILITY: Schema = {"type": "number", "minimum": 0, "maximum": 1,
                       "description": "chance that the fault fires, per request"}
STATUS: Schema = {"type": "integer", "minimum": 400, "maximum": 599}

_D = {"$ref": "#/$defs/duration"}
_P = {"$ref": "#/$defs/probability"}
# Per fault type: (fields, required fields, what it does). Mirrors docs/faults.md.
FAULTS: dict[str, tuple[Schema, list[str], str]] = {
    "latency": ({"probability": _P, "dist": {"enum": list(DISTRIBUTIONS), "default": "fixed"},
                 "delay": _D, "min": _D, "max": _D, "mean": _D, "stddev": _D, "median": _D,
                 "sigma": {"type": "number", "minimum": 0, "maximum": 10},
                 "scale": _D, "alpha": {"type": "number", "minimum": 0.01, "maximum": 100},
                 "jitter": _D, "cap": _D}, [], "delay the answer (non-terminal)"),
    "error": ({"rate": _P, "probability": _P, "status": {**STATUS, "default": 503},
               "retry_after": _D}, [], "answer with an HTTP error status"),
    "reset": ({"probability": _P}, [], "close the connection without an answer"),
    "hang": ({"probability": _P}, [], "never answer"),
    "slow_body": ({"probability": _P, "duration": _D,
                   "chunks": {"type": "integer", "minimum": 1, "maximum": 10_000}},
                  ["duration"], "dribble the body over `duration`"),
    "malformed": ({"probability": _P}, [], "200 with a body that is not JSON"),
    "down": ({}, [], "refuse connections on the service's port"),
    "fail_first": ({"probability": _P, "attempts": {"type": "integer", "minimum": 1,
                                                      "maximum": MAX_ATTEMPTS},
                    "status": {**STATUS, "default": 503}}, ["attempts"],
                   "fail the first N requests of each key, then succeed"),
}
LATENCY_PARAMS = {"fixed": ["delay"], "uniform": ["min", "max"], "normal": ["mean", "stddev"],
                  "lognormal": ["median", "sigma"], "pareto": ["scale", "alpha"]}
KIND_SCHEMAS: dict[str, Schema] = {
    "duration": {"$ref": "#/$defs/duration"},
    "ratio": {"description": 'a ratio from 0 to 1, or a percentage such as "5%"',
              "anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                        {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"}]},
    "number": {"type": "number", "minimum": 0},
}


def scenario_json_schema() -> Schema:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "bff-sim scenario",
        "description": "A load-and-fault scenario for bff-sim (docs/scenarios.md).",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "phases"],
        "properties": _top(),
        "$defs": {"duration": DURATION, "probability": PROBABILITY,
                  "faults": _service_faults(), "fault": _fault(), "phase": _phase(),
                  "slo": _slo()},
    }


def _top() -> Schema:
    props: Schema = {
        "name": {"type": "string", "pattern": NAME.pattern,
                 "description": "lowercase letters, digits and dashes; a built-in's name "
                                "is its file name"},
        "description": {"type": "string", "description": "what the scenario teaches"},
        "tags": {"type": "array", "uniqueItems": True,
                 "items": {"type": "string", "pattern": NAME.pattern},
                 "description": '"smoke" puts it in `sim smoke`'},
        "seed": {"type": "integer", "minimum": 0, "default": 0,
                 "description": "seeds fault decisions and data: same seed, same run"},
        "policy": {"type": "object", "additionalProperties": False,
                   "description": "the BFF's policy: a preset plus overrides",
                   "properties": {
                       "preset": {"enum": list(PRESETS), "default": "resilient"},
                       "overrides": {"type": "object", "description": "dotted setting "
                                     "paths (or nested tables) -> value, e.g. "
                                     '"inventory.retry.max_attempts" = 2 (docs/policies.md)'}}},
        "load": {"type": "object", "additionalProperties": False,
                 "description": "the locust load, unless a phase changes it",
                 "properties": {
                     "users": {"type": "integer", "minimum": 1, "maximum": MAX_USERS,
                               "default": DEFAULT_USERS, "description": "concurrent users"},
                     "spawn_rate": {"type": "number", "exclusiveMinimum": 0,
                                    "description": "users started per second (default: "
                                                   "all of them in one second)"},
                     "think_time": {
                         "description": "pause between a user's requests: one duration, "
                                        "or {min, max} for uniform between them",
                         "default": {"min": "50ms", "max": "100ms"},
                         "anyOf": [_D, {"type": "object", "additionalProperties": False,
                                        "required": ["min", "max"],
                                        "properties": {"min": _D, "max": _D}}]}}},
        "faults": {"$ref": "#/$defs/faults",
                   "description": "base faults: before and after the phases, and in any "
                                  "phase that does not mention the service"},
        "phases": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/phase"},
                   "description": "the timeline, in order"},
        "slo": {"type": "array", "items": {"$ref": "#/$defs/slo"},
                "description": "thresholds judged after the run (exit 1 when breached)"},
        "degraded": {
            "type": "object", "additionalProperties": False, "required": ["any"],
            "description": "when a 200 answer counts as degraded: any condition holds "
                           "(default: the book's shape, docs/scenarios.md#degraded)",
            "properties": {"any": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["path", "is"],
                "properties": {"path": {"type": "string", "description": "keys joined by "
                                        "dots; key[*] for every element of a list"},
                               "is": {"enum": list(CHECKS)}}}}}},
        "gate": _gate(),
    }
    return props


def _gate() -> Schema:
    share = {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"}
    latency = {"description": 'allowed increase of B over A: a duration, a share of A '
                              '("10%"), or both as ["2ms", "10%"] (whichever is larger)',
               "anyOf": [_D, share, {"type": "array", "minItems": 1, "maxItems": 2,
                                     "items": {"anyOf": [_D, share]}}]}
    points = {"description": "allowed increase in ratio points: 0.01 or \"1%\"",
              "anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, share]}
    return {"type": "object", "additionalProperties": False,
            "description": "how much worse B may be than A in `sim ab` and `sim compare` "
                           "(docs/scenarios.md#gate)",
            "properties": {
                **{key: latency for key in LATENCY_KEYS},
                "error_ratio": points, "degraded_ratio": points,
                "amplification": {"type": "number", "minimum": 0,
                                  "description": "extra attempts per call"},
                "breaker_opens": {"type": "number", "minimum": 0,
                                  "description": "more breaker opens per round"},
                "confidence": {"type": "number", "minimum": 0.5, "exclusiveMaximum": 1,
                               "default": 0.95}}}


def _service_faults() -> Schema:
    return {"type": "object", "additionalProperties": False,
            "description": "per service, a list of faults (docs/faults.md)",
            "properties": {service: {"anyOf": [
                {"type": "array", "items": {"$ref": "#/$defs/fault"}},
                {"$ref": "#/$defs/fault"}]} for service in SERVICES}}


def _fault() -> Schema:
    variants = []
    for kind, (fields, required, help_text) in FAULTS.items():
        variant: Schema = {"description": f"{kind}: {help_text}",
                           "properties": {"type": {"const": kind}, **fields},
                           "required": ["type", *required], "additionalProperties": False}
        if kind == "latency":
            variant["allOf"] = [{"if": {"properties": {"dist": {"const": dist}}, **(
                {"required": ["dist"]} if dist != "fixed" else {})},
                "then": {"required": params}} for dist, params in LATENCY_PARAMS.items()]
        variants.append(variant)
    return {"type": "object", "required": ["type"],
            "properties": {"type": {"enum": list(FAULTS)}}, "oneOf": variants}


def _phase() -> Schema:
    return {"type": "object", "additionalProperties": False, "required": ["name", "duration"],
            "properties": {
                "name": {"type": "string", "pattern": PHASE_NAME.pattern,
                         "description": "unique; SLOs refer to it"},
                "duration": _D,
                "faults": {"$ref": "#/$defs/faults",
                           "description": "replace the base faults of the services named "
                                          "here, for this phase ([] = healthy)"},
                "users": {"type": "integer", "minimum": 0, "maximum": MAX_USERS,
                          "description": "concurrent users in this phase"},
                "spawn_rate": {"type": "number", "exclusiveMinimum": 0}}}


def _slo() -> Schema:
    rules = []
    for name, metric in METRICS.items():
        value = KIND_SCHEMAS[metric.kind]
        then: Schema = {"properties": {"max": value, "min": value}}
        if metric.downstream:
            then["required"] = ["downstream"]
        else:
            then["not"] = {"required": ["downstream"]}
        if metric.phase == "required":
            then["required"] = [*then.get("required", []), "phase"]
        elif metric.phase == "never":
            then.setdefault("allOf", []).append({"not": {"required": ["phase"]}})
        rules.append({"if": {"properties": {"metric": {"const": name}}}, "then": then})
    props: Schema = {
        "metric": {"enum": list(METRICS), "description": "; ".join(
            f"{name} ({m.kind}): {m.help}" for name, m in METRICS.items())},
        "max": {"description": "upper bound (a duration for latency metrics, 0..1 for "
                               "ratios)"},
        "min": {"description": "lower bound"},
        "phase": {"type": "string", "description": "judge only this phase (default: the "
                                                   "whole run)"},
        "downstream": {"enum": list(SERVICES)},
        "why": {"type": "string", "description": "what a breach means"},
    }
    return {"type": "object", "additionalProperties": False, "required": ["metric"],
            "oneOf": [{"required": ["max"]}, {"required": ["min"]}],
            "properties": props, "allOf": rules}
