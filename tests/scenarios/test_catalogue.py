"""The built-in catalogue, the loader's name handling, the JSON Schema and the docs."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bff.policyset import PRESETS
from scenarios.loader import CATALOGUE, builtin_names, list_builtins, load_scenario
from scenarios.model import METRICS, Scenario
from scenarios.schema import scenario_json_schema
from sim import SERVICES
from sim.errors import ConfigError
from sim.faults import FAULT_TYPES

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = ["baseline", "brownout", "cart-down", "connection-resets", "flaky-cart",
            "inventory-outage", "latency-spike", "products-down", "products-errors",
            "retry-storm", "slow-inventory"]
SMOKE = ["baseline", "flaky-cart", "inventory-outage", "slow-inventory"]
SMOKE_SECONDS = 15.0  # what `sim smoke` shortens each one to (docs/scenarios.md)


def test_the_catalogue_is_complete() -> None:
    assert builtin_names() == EXPECTED
    assert [s.name for s in list_builtins()] == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_builtin(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name and scenario.source == f"builtin:{name}"
    assert len(scenario.description) > 100, "say what it teaches"
    assert scenario.policy_preset == "resilient"
    assert 30 <= scenario.duration <= 60
    assert 10 <= scenario.load.users <= 30
    assert 0.05 <= scenario.load.think_min <= scenario.load.think_max <= 0.1
    assert len(scenario.slos) >= 4
    assert all(slo.why for slo in scenario.slos), "say what a breach means"
    scenario.policy()  # the overrides build


@pytest.mark.parametrize("name", EXPECTED)
def test_builtin_round_trip(name: str) -> None:
    scenario = load_scenario(name)
    data = json.loads(json.dumps(scenario.to_dict()))
    assert Scenario.from_dict(data) == scenario


def test_smoke_set_fits_a_minute() -> None:
    smoke = [s for s in list_builtins() if "smoke" in s.tags]
    assert [s.name for s in smoke] == SMOKE
    for scenario in smoke:
        short = scenario.with_duration(SMOKE_SECONDS)
        assert short.duration == pytest.approx(SMOKE_SECONDS)
        assert all(p.duration >= 1.0 for p in short.phases)
    assert len(smoke) * SMOKE_SECONDS <= 60


def test_outage_shorter_than_the_open_duration() -> None:
    """inventory-outage's recovery SLO holds at any shortening only while the outage is
    shorter than the breaker's open duration (one open -> half-open -> closed cycle)."""
    scenario = load_scenario("inventory-outage")
    outage = next(p for p in scenario.phases if p.name == "outage")
    breaker = scenario.policy().inventory.breaker
    assert breaker is not None and outage.duration < breaker.open_duration


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "..", "Baseline",
                                  "slow_inventory", "", "baseline/../baseline"])
def test_names_cannot_escape_the_catalogue(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario(name)
    assert str(info.value) == (
        f"scenario: {name!r} is neither a built-in scenario (lowercase letters, digits and "
        f'dashes, such as "slow-inventory") nor a .toml file; built-ins: '
        f"{', '.join(EXPECTED)}")


def test_unknown_builtin_lists_the_catalogue() -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario("slow-inventry")
    assert str(info.value) == (
        "scenario: unknown scenario 'slow-inventry' (did you mean 'slow-inventory'?); "
        f"built-ins: {', '.join(EXPECTED)}; or give a path to a .toml file")


def test_builtin_name_must_match_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    (tmp_path / "mine.toml").write_text('name = "other"\n[[phases]]\nname = "a"\n'
                                        'duration = "1s"\n')
    monkeypatch.setattr("scenarios.loader.CATALOGUE", tmp_path)
    with pytest.raises(ConfigError) as info:
        load_scenario("mine")
    assert str(info.value) == (f"{tmp_path / 'mine.toml'}: name: must be 'mine', the file's "
                               f"name, for a built-in; got 'other'")


def test_a_path_loads_a_file() -> None:
    path = CATALOGUE / "baseline.toml"
    assert load_scenario(str(path)).source == str(path)
    assert load_scenario(path) == load_scenario(str(path))


# The JSON Schema -----------------------------------------------------------------------

def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_schema_is_json_and_lists_everything() -> None:
    schema = json.loads(json.dumps(scenario_json_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    defs = schema["$defs"]
    assert defs["slo"]["properties"]["metric"]["enum"] == list(METRICS)
    for name in METRICS:
        assert name in defs["slo"]["properties"]["metric"]["description"]
    assert schema["properties"]["policy"]["properties"]["preset"]["enum"] == list(PRESETS)
    assert list(defs["faults"]["properties"]) == list(SERVICES)
    assert defs["fault"]["properties"]["type"]["enum"] == list(FAULT_TYPES)
    assert defs["slo"]["properties"]["downstream"]["enum"] == list(SERVICES)
    for ref in _refs(schema):
        assert ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in defs


def test_schema_keys_match_the_loader() -> None:
    from scenarios import loader, slos

    schema = scenario_json_schema()
    assert list(schema["properties"]) == list(loader.TOP_KEYS)
    assert list(schema["properties"]["policy"]["properties"]) == list(loader.POLICY_KEYS)
    assert list(schema["properties"]["load"]["properties"]) == list(loader.LOAD_KEYS)
    assert list(schema["$defs"]["slo"]["properties"]) == list(slos.SLO_KEYS)
    phase_keys = set(schema["$defs"]["phase"]["properties"])
    assert phase_keys == {"name", "duration", "faults"} | loader.PHASE_LOAD_KEYS


def test_schema_validates_the_catalogue() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in EXPECTED:
        data = tomllib.loads((CATALOGUE / f"{name}.toml").read_text())
        assert list(validator.iter_errors(data)) == [], name


@pytest.mark.parametrize("patch", [
    {"nmae": "x"},
    {"load": {"users": 0}},
    {"phases": []},
    {"slo": [{"metric": "p95", "max": "1s"}]},
    {"slo": [{"metric": "latency_p95", "max": "1s", "min": "1ms"}]},
    {"slo": [{"metric": "retry_amplification", "max": 1.2}]},
    {"slo": [{"metric": "latency_p95", "max": "1s", "downstream": "cart"}]},
    {"slo": [{"metric": "error_ratio", "max": 1.5}]},
    {"faults": {"cart": [{"type": "error", "rate": 1.5}]}},
    {"faults": {"cart": [{"type": "latency", "dist": "uniform", "min": "1ms"}]}},
    {"faults": {"payments": [{"type": "hang"}]}},
    {"faults": {"cart": [{"type": "hang", "delay": "1s"}]}},
])
def test_schema_rejects_bad_files(patch: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data: dict[str, Any] = {"name": "x", "phases": [{"name": "a", "duration": "1s"}]}
    data.update(patch)
    assert list(jsonschema.Draft202012Validator(scenario_json_schema()).iter_errors(data))


# The docs ------------------------------------------------------------------------------

DOCS = ROOT / "docs" / "scenarios.md"


def test_docs_cover_the_catalogue_and_metrics() -> None:
    text = DOCS.read_text()
    for name in EXPECTED:
        assert f"`{name}`" in text, name
    for metric in METRICS:
        assert f"`{metric}`" in text, metric


def test_docs_examples_are_valid(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(), re.S)
    scenarios = [block for block in blocks if re.search(r"^name = ", block, re.M)]
    assert scenarios, "docs/scenarios.md should show whole scenario files"
    for index, block in enumerate(scenarios):
        path = tmp_path / f"example{index}.toml"
        path.write_text(block)
        load_scenario(path)
