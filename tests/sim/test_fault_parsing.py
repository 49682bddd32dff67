"""Fault specs and durations: good ones parse, bad ones name the field and the allowed values."""

from __future__ import annotations

import pytest

from sim.durations import parse_duration
from sim.errors import ConfigError
from sim.faults import parse_fault, parse_fault_header, parse_faults
from sim.faults.error import Error
from sim.faults.latency import Latency


@pytest.mark.parametrize(("text", "seconds"), [
    ("250ms", 0.25), ("2s", 2.0), ("1m", 60.0), ("1.5s", 1.5), (0, 0.0), ("0", 0.0),
    ("500us", 0.0005), ("24h", 86_400.0),
])
def test_durations_parse(text: object, seconds: float) -> None:
    assert parse_duration(text, "x") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["-1s", "fast", "", "1 parsec", -0.5, True, None])
def test_bad_durations_name_the_field(text: object) -> None:
    with pytest.raises(ConfigError, match=r"^phases\[0\]\.duration: expected a non-negative"):
        parse_duration(text, "phases[0].duration")


@pytest.mark.parametrize(("value", "hint"), [
    ("300", "'300' has no unit; did you mean 300ms or 300s?"),
    (300, "300 has no unit; did you mean 300ms or 300s?"),
    (" 1.5 ", "' 1.5 ' has no unit; did you mean 1.5ms or 1.5s?"),
    (0.25, "0.25 has no unit; did you mean 0.25ms or 0.25s?"),
])
def test_a_bare_number_is_refused_with_a_hint(value: object, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_duration(value, "--latency")
    assert str(caught.value) == f"--latency: {hint}"


@pytest.mark.parametrize("value", ["25h", "1441m", "86400.001s", "9" * 400 + "ms"])
def test_durations_are_at_most_a_day(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^deadline: (must be at most 1 day|.*no unit)"):
        parse_duration(value, "deadline")


def test_roundtrip_through_spec() -> None:
    specs = [
        {"type": "latency", "dist": "lognormal", "median": "100ms", "sigma": 0.5, "cap": "2s"},
        {"type": "error", "rate": 0.3, "status": 429, "retry_after": "1s"},
        {"type": "fail_first", "attempts": 2},
    ]
    faults = parse_faults(specs, "faults")
    assert parse_faults([f.to_spec() for f in faults], "faults") == faults


@pytest.mark.parametrize(("spec", "message"), [
    ({"type": "latency", "delay": "-5ms"}, "faults[0].delay: expected a non-negative duration"),
    ({"type": "error", "rate": 1.5}, r"faults[0].rate: must be in [0, 1], got 1.5"),
    ({"type": "reset", "probability": -0.1}, "faults[0].probability: must be in [0, 1]"),
    ({"type": "teleport"}, "faults[0].type: must be one of latency, error, reset, hang"),
    ({"type": "hang", "colour": "red"}, "faults[0].colour: unknown field; allowed fields are"),
    ({"type": "latency", "dist": "cauchy"}, "faults[0].dist: must be one of fixed, uniform"),
    ({"type": "latency", "dist": "uniform", "min": "2s", "max": "1s"}, "faults[0].max: must be"),
    ({"type": "error", "status": 200}, "faults[0].status: must be in [400, 599]"),
    ({"type": "down", "probability": 0.5}, "down closes the whole port"),
    ({"type": "fail_first"}, "faults[0].attempts: is required"),
])
def test_bad_specs_say_exactly_what_is_wrong(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_faults([spec], "faults")
    assert message in str(caught.value)


def test_a_single_table_is_one_fault() -> None:
    assert parse_faults({"type": "hang"}, "f") == parse_faults([{"type": "hang"}], "f")


def test_header_overrides() -> None:
    faults = parse_fault_header("latency=300ms; error=503")
    assert faults == (Latency(a=0.3), Error(status=503))
    assert parse_fault_header("none") == ()
    with pytest.raises(ConfigError, match="X-Sim-Fault: cannot read 'down'; allowed: latency="):
        parse_fault_header("down")
    with pytest.raises(ConfigError, match="cannot read 'error=200'"):
        parse_fault_header("error=200")


def test_error_rate_and_probability_are_exclusive() -> None:
    with pytest.raises(ConfigError, match="give rate or probability, not both"):
        parse_fault({"type": "error", "rate": 0.1, "probability": 0.2}, "f")
