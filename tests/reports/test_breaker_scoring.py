"""Scoring the BFF's own breaker timeline against the injected faults."""

from __future__ import annotations

from typing import Any

from reports.resilience import scoring


def moves(*points: tuple[float, str]) -> list[dict[str, Any]]:
    return [{"t": t, "downstream": "cart", "to": to} for t, to in points]


def test_a_breaker_closed_before_the_fault_ends_closes_in_zero_seconds() -> None:
    timeline = moves((1.0, "open"), (2.0, "closed"), (5.0, "open"), (6.0, "closed"))
    cart = scoring(timeline, [("outage", 0.0, 3.0)], {"cart": ["outage"]})["cart"]
    assert cart["phases"]["outage"] == {"time_to_open": 1.0, "time_to_close": 0.0}
    assert cart["false_trips"] == 1  # the later open is reported, on its own


def test_a_breaker_open_at_the_fault_end_closes_at_its_next_close() -> None:
    timeline = moves((1.0, "open"), (2.0, "half_open"), (2.1, "open"), (4.5, "half_open"),
                     (5.0, "closed"))
    cart = scoring(timeline, [("outage", 0.0, 3.0)], {"cart": ["outage"]})["cart"]
    assert cart["phases"]["outage"] == {"time_to_open": 1.0, "time_to_close": 2.0}
    assert cart["false_trips"] == 0


def test_a_fault_that_never_opened_the_breaker_has_no_close() -> None:
    timeline = moves((5.0, "open"), (6.0, "closed"))
    cart = scoring(timeline, [("outage", 0.0, 3.0)], {"cart": ["outage"]})["cart"]
    assert cart["phases"]["outage"] == {"time_to_open": None, "time_to_close": None}


def test_an_open_left_from_a_false_trip_does_not_pass_the_faults_time_to_open() -> None:
    # Warm-up false trip at 0.76 s, still open when the outage starts at 3 s: the outage's
    # time to open is its own re-open after the half-open probe, not 0.
    timeline = moves((0.76, "open"), (3.5, "half_open"), (3.6, "open"))
    cart = scoring(timeline, [("warmup", 0.0, 3.0), ("outage", 3.0, 8.0)],
                   {"cart": ["outage"]})["cart"]
    assert abs(cart["phases"]["outage"]["time_to_open"] - 0.6) < 1e-9
    assert cart["false_trips"] == 1


def test_an_open_carried_over_from_an_earlier_fault_counts_as_open_at_the_start() -> None:
    timeline = moves((1.0, "open"), (9.0, "closed"))
    cart = scoring(timeline, [("first", 0.0, 3.0), ("second", 3.0, 6.0)],
                   {"cart": ["first", "second"]})["cart"]
    assert cart["phases"]["second"]["time_to_open"] == 0.0
    assert cart["false_trips"] == 0
