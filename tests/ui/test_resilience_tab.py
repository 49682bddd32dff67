"""The Resilience tab's rows and the fault form, without a browser."""

from __future__ import annotations

from typing import Any

import pytest

from reports.resilience_tab import (
    downstream_rows,
    extended_stats,
    parse_metrics,
    phase_line,
    phase_text,
    tab_definitions,
    transition_rows,
)
from scenarios.web_faults import form_to_specs
from sim.errors import ConfigError

METRICS = """# HELP bff_attempts_total attempts
# TYPE bff_attempts_total counter
bff_attempts_total{downstream="inventory",outcome="ok"} 40
bff_attempts_total{downstream="inventory",outcome="timeout"} 12
bff_timeouts_total{downstream="inventory",which="per_try"} 12
bff_timeouts_total{downstream="inventory",which="deadline"} 3
bff_retries_scheduled_total{downstream="inventory"} 7
bff_retries_blocked_total{downstream="inventory",reason="budget"} 2
bff_retries_blocked_total{downstream="inventory",reason="breaker_open"} 5
bff_breaker_not_permitted_total{downstream="inventory"} 30
bff_fallbacks_total{downstream="inventory",served="last_good"} 29
bff_fallbacks_total{downstream="inventory",served="null"} 1
"""

STATE: dict[str, Any] = {
    "timeline": {"armed": True, "phase": "outage", "phase_left": 2.34, "ended": False},
    "bff": {"policy": "resilient",
            "inventory": {"breaker": {"state": "open", "failure_rate": 0.5,
                                      "slow_call_rate": 0.25, "calls": 20}},
            "cart": {"breaker": None}},
}


def test_a_downstream_row_has_the_breaker_and_the_counters() -> None:
    rows = {row["downstream"]: row for row in downstream_rows(STATE, parse_metrics(METRICS))}
    assert rows["inventory"] == {
        "downstream": "inventory", "breaker": "open", "failurerate": "50%", "slowrate": "25%",
        "calls": 20, "attempts": 52, "timeouts": 12, "retries": 7, "blocked": 7,
        "notpermitted": 30, "fallbacks": 30}
    assert rows["cart"]["breaker"] == "none"
    assert rows["cart"]["attempts"] == 0


def test_the_phase_and_its_time_left() -> None:
    assert phase_text(STATE) == "outage, 2.3 s left"
    assert "not armed" in phase_text({"timeline": {"armed": False}})
    assert phase_text({"timeline": {"armed": True, "ended": True}}) == "all phases done"


def test_the_phase_line_names_the_phase_its_place_the_time_since_start_and_the_policy(
        ) -> None:
    state = {**STATE, "timeline": {**STATE["timeline"], "index": 1, "elapsed": 7.06,
                                   "phases": [{"name": "warm-up"}, {"name": "outage"},
                                              {"name": "recovery"}]}}
    assert phase_line(state) == {
        "phase": "outage",
        "text": "Phase 2/3: outage, 2.3 s left · t+7.1 s since Start · policy resilient"}
    assert phase_line({"timeline": {"armed": False}})["text"] == \
        "Phase: phases not armed yet (they start with the load)"


def test_transitions_newest_first_with_reasons() -> None:
    events = [{"kind": "breaker_transition", "t": 5.0, "breaker": "inventory",
               "from_state": "closed", "to_state": "open", "reason": "consecutive_failures 3",
               "failure_rate": 1.0, "slow_rate": 0.0},
              {"kind": "breaker_transition", "t": 10.0, "breaker": "inventory",
               "from_state": "open", "to_state": "half_open", "reason": "open_duration elapsed",
               "failure_rate": None, "slow_rate": None}]
    rows = transition_rows(events)
    assert [row["change"] for row in rows] == ["open -> half_open", "closed -> open"]
    assert rows[1]["reason"] == "consecutive_failures 3"


def test_transition_times_count_from_start() -> None:
    # The simulator ran 40 s before the user pressed Start (an earlier test opened the
    # breaker at 12 s); this test's transition 2.5 s after Start reads 2.5, not 42.5.
    events = [{"kind": "breaker_transition", "t": 12.0, "breaker": "inventory",
               "from_state": "closed", "to_state": "open", "reason": "earlier test"},
              {"kind": "phase_started", "t": 40.0, "index": 0, "phase": "warm-up"},
              {"kind": "breaker_transition", "t": 42.5, "breaker": "inventory",
               "from_state": "closed", "to_state": "open", "reason": "consecutive_failures 3"}]
    rows = transition_rows(events)
    assert [(row["t"], row["reason"]) for row in rows] == [("t+2.5 s", "consecutive_failures 3")]


def test_every_table_key_has_rows_in_the_stats_and_only_downstreams_are_rows() -> None:
    tables = {table["key"] for table in tab_definitions()["extended_tables"]}
    stats = extended_stats(STATE, {}, [])
    assert {entry["key"] for entry in stats} == tables
    # The phase is a line of its own (/sim/api/phase), not a row under "Downstream".
    assert [row["downstream"] for row in stats[0]["data"]] == ["inventory", "cart"]


def test_the_fault_form_becomes_admin_fault_specs() -> None:
    assert form_to_specs("cart", {"latency": "250ms", "error_rate": "0.3", "status": "502",
                                  "down": "on"}) == [
        {"type": "down"}, {"type": "latency", "delay": "250ms"},
        {"type": "error", "rate": 0.3, "status": 502}]
    assert form_to_specs("inventory", {"hang": "1"}) == [{"type": "hang", "probability": 1.0}]


@pytest.mark.parametrize(("service", "fields", "field"), [
    ("cart", {"error_rate": "1.5"}, "error_rate"),
    ("cart", {"error_rate": "lots"}, "error_rate"),
    ("cart", {"latency": "soon"}, "latency"),
    ("cart", {"status": "200", "error_rate": "1"}, "status"),
    ("cart", {}, "faults"),
    ("basket", {"hang": "1"}, "service"),
])
def test_bad_form_input_names_the_field(service: str, fields: dict[str, str],
                                        field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        form_to_specs(service, fields)
    assert caught.value.field == field
