"""A JSON Schema (draft 2020-12) of report.json, and the check `sim report` / `sim compare`
run on a file before rendering it: a hand-edited or foreign report is one line naming
the field (`client.phases.outage.p95: ...`), never a traceback from a renderer.

The schema covers what the renderers, the gate and the baseline comparison read; other
keys may be added (a newer writer) and are ignored. Version REPORT_VERSION is the only
one a reader takes (docs/report-format.md).
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from sim.errors import ConfigError, shown

REPORT_SCHEMA = "bff-sim/report"
REPORT_VERSION = 1
Schema = dict[str, Any]

_COUNT: Schema = {"type": "integer", "minimum": 0}
_SECONDS: Schema = {"type": "number", "minimum": 0}
_NUMBER: Schema = {"type": "number"}
_TEXT: Schema = {"type": "string"}
_FLAG: Schema = {"type": "boolean"}
_MAYBE_SECONDS: Schema = {"anyOf": [_SECONDS, {"type": "null"}]}


def _object(required: dict[str, Schema], **optional: Schema) -> Schema:
    return {"type": "object", "required": list(required),
            "properties": {**required, **optional}}


def _map_of(values: Schema) -> Schema:
    return {"type": "object", "additionalProperties": values}


_STATS = _object({
    "requests": _COUNT, "rps": _SECONDS, "p50": _SECONDS, "p95": _SECONDS, "p99": _SECONDS,
    "max": _SECONDS, "complete": _COUNT, "degraded": _COUNT, "failed": _COUNT,
    "error_ratio": _SECONDS, "degraded_ratio": _SECONDS, "overhead_p50": _SECONDS,
    "overhead_p99": _SECONDS, "statuses": _map_of(_COUNT)})
_SERIES_POINT = _object({"t": _NUMBER, "requests": _COUNT, "p50": _SECONDS, "p95": _SECONDS,
                         "p99": _SECONDS, "failed": _COUNT, "degraded": _COUNT})
_DOWNSTREAM = _object({
    "calls": _COUNT, "attempts": _COUNT, "amplification": _SECONDS,
    "timeouts_per_try": _COUNT, "timeouts_deadline": _COUNT, "retries_scheduled": _COUNT,
    "retries_blocked": _map_of(_COUNT), "not_permitted": _COUNT, "bulkhead_rejected": _COUNT,
    "fallbacks": _map_of(_COUNT), "abandoned": _COUNT},
    calls_by_result=_map_of(_COUNT), attempts_by_outcome=_map_of(_COUNT),
    hedges_sent=_COUNT, hedges_won=_COUNT, downstream_saw=_COUNT)
_TRANSITION = _object({"t": _NUMBER, "downstream": _TEXT, "from": _TEXT, "to": _TEXT,
                       "reason": _TEXT})
# Both times are always written (null when it never opened/closed); the renderers read them.
_SCORE = _object({"opens": _COUNT, "false_trips": _COUNT, "phases": _map_of(_object(
    {"time_to_open": _MAYBE_SECONDS, "time_to_close": _MAYBE_SECONDS}))})
_VERDICT = _object({"id": _TEXT, "metric": _TEXT,
                    "value": {"anyOf": [_NUMBER, {"type": "null"}]}, "threshold": _NUMBER,
                    "op": {"enum": ["max", "min"]}, "passed": _FLAG, "rule": _TEXT,
                    "unit": _TEXT}, why=_TEXT, status={"enum": ["pass", "fail", "n/a"]},
                   source={"enum": ["client", "bff", "blackbox"]})
_MAYBE_NUMBER: Schema = {"anyOf": [_SECONDS, {"type": "null"}]}
# What reports/blackbox.py inferred from the calls the simulator saw ({} without traffic).
_INFERRED_SCORE = _object({"time_to_open": _MAYBE_SECONDS, "time_to_close": _MAYBE_SECONDS,
                           "observable": _FLAG})
_INFERRED = _object({
    "calls": _COUNT, "calls_per_page": _MAYBE_NUMBER, "amplification": _MAYBE_NUMBER,
    "abandoned": _COUNT, "opens": _COUNT, "phases": _map_of(_INFERRED_SCORE)},
    reference=_SECONDS, reference_from={"enum": ["measured", "nominal"]},
    breaker_moves={"type": "array", "items": _object(
        {"t": _NUMBER, "to": {"enum": ["open", "closed"]}})})
_BLACKBOX = _object({}, step=_SECONDS, pages=_COUNT, services=_map_of(_INFERRED),
                    calls_series=_map_of({"type": "array", "items": _COUNT}))
_FAULT_LISTS = _map_of({"type": "array", "items": _object({"type": _TEXT})})
_PLAN = _object({"faults": _FAULT_LISTS, "phases": {"type": "array", "items": _object(
    {"name": _TEXT, "faults": _FAULT_LISTS})}})
_DECISIONS = _map_of({"type": "array", "items": _object({
    "stream": _TEXT, "t": _NUMBER, "decisions": _COUNT, "first": _COUNT,
    "first_sha256": _TEXT, "all_sha256": _TEXT})})
_CHECK = _object({"id": _TEXT, "passed": _FLAG})
_BASELINE = _object({"checks": {"type": "array", "items": _CHECK}, "passed": _FLAG},
                    notes={"type": "array", "items": _TEXT})
_MAYBE_TEXT: Schema = {"type": ["string", "null"]}

REPORT_JSON_SCHEMA: Schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:bff-sim:report",
    "title": "bff-sim report.json",
    **_object({
        "schema": {"const": REPORT_SCHEMA},
        "version": {"const": REPORT_VERSION},
        "complete": _FLAG, "interrupted": _FLAG, "passed": _FLAG,
        "problems": {"type": "array", "items": _TEXT},
        "scenario": _object({"name": _TEXT, "load": _object({"users": _COUNT})},
                            description=_TEXT),
        "seed": _COUNT,
        "policy": _object({"name": _TEXT}),
        "target": _MAYBE_TEXT,
        "environment": _object({
            **{key: _MAYBE_TEXT for key in ("python", "machine", "loop", "locust")},
            "started_at": _TEXT, "cpus": {"type": ["integer", "null"]},
            "wall_seconds": _SECONDS}),
        "phases": {"type": "array", "items": _object(
            {"name": _TEXT, "start": _SECONDS, "end": _SECONDS})},
        "client": _object({"overall": _STATS, "phases": _map_of(_STATS),
                           "series": {"type": "array", "items": _SERIES_POINT}}),
        "bff": _object({"outcomes": _map_of(_COUNT)}),
        "downstreams": _map_of(_DOWNSTREAM),
        "breaker_timeline": {"type": "array", "items": _TRANSITION},
        "scoring": _map_of(_SCORE),
        "faults": _object({"injected": _map_of(_map_of(_COUNT)),
                           "answered": _map_of(_map_of(_COUNT)), "plan": _PLAN},
                          decisions=_DECISIONS),
        "resilience_series": {"type": "array", "items": {
            "type": "object", "required": ["t"], "properties": {"t": _NUMBER},
            "additionalProperties": _COUNT}},
        "slos": {"type": "array", "items": _VERDICT},
    }, baseline=_BASELINE, blackbox=_BLACKBOX, setup_error=_MAYBE_TEXT),
}
_VALIDATOR = Draft202012Validator(REPORT_JSON_SCHEMA)


def check_report(data: object, source: str) -> dict[str, Any]:
    """`data` if it is a report.json this version can render, else one ConfigError."""
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        raise ConfigError("schema", f"not a bff-sim report.json (expected \"schema\": "
                                    f"\"{REPORT_SCHEMA}\")", source=source)
    if data.get("version") != REPORT_VERSION:
        raise ConfigError("version", f"report.json version {shown(data.get('version'))}; "
                                     f"this bff-sim reads version {REPORT_VERSION}",
                          source=source)
    error = _first_error(data)
    if error is not None:
        field = ".".join(str(part) for part in error.absolute_path) or "report"
        raise ConfigError(field, _problem(error), source=source)
    return data


def _first_error(data: dict[str, Any]) -> ValidationError | None:
    try:
        errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    except RecursionError:  # nested deeper than any report: a hand-made file
        return ValidationError("nested too deeply")
    return errors[0] if errors else None


def _problem(error: ValidationError) -> str:
    if error.validator == "required":
        return str(error.message).replace(" is a required property", " is missing")
    expected = error.validator_value if error.validator in ("type", "const", "enum") else None
    wanted = f"expected {expected}" if expected is not None else str(error.message)[:120]
    return f"{wanted}, got {shown(error.instance)}" if expected is not None else wanted
