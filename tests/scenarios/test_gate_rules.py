"""The `[gate]` table of a scenario and `--allow`: allowances, errors, schema, round trip."""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest

from scenarios.gate_rules import Allowance, GateRules, parse_allow_options
from scenarios.loader import parse_scenario
from scenarios.model import Scenario
from scenarios.schema import scenario_json_schema
from sim.errors import ConfigError

BASE = """
name = "gated"
[[phases]]
name = "steady"
duration = "10s"
"""


def _scenario(gate: str) -> Scenario:
    import tomllib

    return parse_scenario(tomllib.loads(BASE + textwrap.dedent(gate)), source="gated.toml")


def test_gate_table_sets_allowances_and_keeps_defaults_for_the_rest() -> None:
    scenario = _scenario("""
        [gate]
        p50 = "2ms"
        p95 = "10%"
        p99 = ["5ms", "20%"]
        error_ratio = "0.5%"
        amplification = 0.2
        confidence = 0.99
    """)
    rules = scenario.gate
    assert rules.p50 == Allowance(0.002, 0.0)
    assert rules.p95 == Allowance(0.0, 0.10)
    assert rules.p99 == Allowance(0.005, 0.20)
    assert rules.error_ratio == Allowance(0.005)
    assert rules.amplification == Allowance(0.2)
    assert rules.confidence == 0.99
    assert rules.mean == GateRules().mean
    # Whichever is larger: 20% of 100 ms beats 5 ms; 5 ms beats 20% of 10 ms.
    assert rules.p99.limit(0.100) == pytest.approx(0.020)
    assert rules.p99.limit(0.010) == pytest.approx(0.005)


def test_gate_survives_the_dict_round_trip() -> None:
    scenario = _scenario('[gate]\np95 = ["3ms", "5%"]\nbreaker_opens = 2\n')
    again = Scenario.from_dict(json.loads(json.dumps(scenario.to_dict())))
    assert again.gate == scenario.gate
    assert again == scenario


@pytest.mark.parametrize(("gate", "message"), [
    ('p95 = "fast"', 'gated.toml: gate.p95: expected a duration such as "2ms", a share of '
                     'A\'s value such as "10%", or both as ["2ms", "10%"] (whichever is '
                     "larger), got 'fast'"),
    ("error_ratio = 2", "gated.toml: gate.error_ratio: expected ratio points: 0.01 or "
                        '"1%", got 2'),
    ("confidence = 1", "gated.toml: gate.confidence: expected a confidence level from 0.5 "
                       "to 0.999 such as 0.95, got 1"),
    ("p90 = '1ms'", "gated.toml: gate.p90: unknown field; allowed: p50, p95, p99, mean, "
                    "error_ratio, degraded_ratio, amplification, breaker_opens, confidence"),
])
def test_bad_gate_values_name_the_field_and_what_is_allowed(gate: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _scenario(f"[gate]\n{gate}\n")
    assert str(caught.value) == message


def test_allow_options_override_the_scenario() -> None:
    rules = parse_allow_options(GateRules(), ["p95=5ms", "p99=5ms,10%", "error_ratio=2%",
                                              "amplification=0.3"])
    assert rules.p95 == Allowance(0.005, 0.0)
    assert rules.p99 == Allowance(0.005, 0.10)
    assert rules.error_ratio == Allowance(0.02)
    assert rules.amplification == Allowance(0.3)
    with pytest.raises(ConfigError, match=r"--allow: expected metric=value such as p95=5ms"):
        parse_allow_options(GateRules(), ["p95"])
    with pytest.raises(ConfigError, match=r"--allow\.p95: expected a duration"):
        parse_allow_options(GateRules(), ["p95=abc"])


def test_schema_accepts_the_gate_table_and_refuses_unknown_keys() -> None:
    schema = scenario_json_schema()
    doc = {"name": "gated", "phases": [{"name": "steady", "duration": "10s"}],
           "gate": {"p50": "2ms", "p99": ["5ms", "10%"], "error_ratio": "1%",
                    "confidence": 0.99}}
    jsonschema.validate(doc, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "gate": {"p90": "1ms"}}, schema)
