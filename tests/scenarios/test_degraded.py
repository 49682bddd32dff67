"""The "degraded" rule: which 200 answers count as degraded, for any BFF's shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.degraded import DEFAULT_RULE, is_degraded, parse_rule
from scenarios.loader import load_scenario
from sim.errors import ConfigError
from tests.cli_helpers import run_sim

BOOK_FULL = {"cart_items": 2, "favorite_items": 3,
             "products": [{"product_id": 1, "inventory": 4}, {"product_id": 2, "inventory": 0}]}


def test_the_default_rule_reads_the_books_shape() -> None:
    assert not is_degraded(BOOK_FULL, DEFAULT_RULE)  # inventory 0 is a value, not null
    no_stock = {**BOOK_FULL, "products": [{"product_id": 1, "inventory": None}]}
    assert is_degraded(no_stock, DEFAULT_RULE)
    assert is_degraded({**BOOK_FULL, "cart_items": None}, DEFAULT_RULE)
    # Our BFF names its fallbacks; an empty list is a complete answer.
    assert is_degraded({**BOOK_FULL, "degraded": ["products"]}, DEFAULT_RULE)
    assert not is_degraded({**BOOK_FULL, "degraded": []}, DEFAULT_RULE)


def test_a_custom_rule_with_missing_keys_and_nested_lists() -> None:
    rule = parse_rule({"any": [{"path": "data.items[*].price", "is": "missing"},
                               {"path": "meta.stale", "is": "true"}]})
    assert not is_degraded({"data": {"items": [{"price": 1}, {"price": 2}]}}, rule)
    assert is_degraded({"data": {"items": [{"price": 1}, {"name": "x"}]}}, rule)
    assert is_degraded({"data": {"items": []}, "meta": {"stale": True}}, rule)
    assert not is_degraded({"data": {"items": []}, "meta": {"stale": 1}}, rule)  # not true


@pytest.mark.parametrize(("rule", "field", "says"), [
    ({"all": []}, "degraded", "one key, any"),
    ({"any": []}, "degraded.any", "non-empty array"),
    ({"any": [{"path": "a..b", "is": "null"}]}, "degraded.any[0].path", "keys joined by dots"),
    ({"any": [{"path": "a", "is": "nil"}]}, "degraded.any[0].is",
     "allowed: null, missing, null_or_missing"),
])
def test_bad_rules_name_the_field_and_what_is_allowed(rule: object, field: str,
                                                     says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rule(rule)
    assert caught.value.field == field
    assert says in str(caught.value)


SCENARIO = """name = "own-shape"
[[phases]]
name = "only"
duration = "2s"
[degraded]
any = [{ path = "items[*].stock", is = "null_or_missing" }]
"""


def test_a_scenario_carries_its_rule_to_the_load(tmp_path: Path) -> None:
    path = tmp_path / "own-shape.toml"
    path.write_text(SCENARIO)
    scenario = load_scenario(path)
    assert scenario.degraded_rule() == {"any": [{"path": "items[*].stock",
                                                 "is": "null_or_missing"}]}
    assert scenario.to_dict()["degraded"] == scenario.degraded_rule()
    assert load_scenario("baseline").degraded_rule() == DEFAULT_RULE


def test_validate_refuses_a_bad_rule_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.replace('is = "null_or_missing"', 'is = "absent"'))
    result = run_sim("scenarios", "validate", str(path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: degraded.any[0].is: got 'absent'; allowed: null, missing, "
        "null_or_missing, non_empty, empty, true, false"]
