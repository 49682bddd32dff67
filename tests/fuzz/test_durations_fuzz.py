"""Durations, fuzzed: every text or number is either a duration in [0, 1 day] with a unit
(or zero), or one ConfigError line naming the field. A bare number is never read as
seconds: it gets a hint with both readings."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.history import list_runs
from sim.durations import MAX_DURATION, format_duration, parse_duration
from sim.errors import ConfigError

UNITS = st.sampled_from(["us", "µs", "ms", "s", "m", "h"])
numbers = st.decimals(0, 10**7, places=3, allow_nan=False, allow_infinity=False).map(str)


@settings(max_examples=500)
@given(value=st.text(max_size=20) | st.floats() | st.integers() | st.booleans() | st.none())
def test_anything_is_a_bounded_duration_or_one_line(value: object) -> None:
    seconds, error = read(value)
    if error is not None:
        assert error.startswith("phases[0].duration: ") and "\n" not in error
        return
    assert 0 <= seconds <= MAX_DURATION and math.isfinite(seconds)
    assert seconds == 0 or (isinstance(value, str) and value.strip()[-1].isalpha())


def read(value: object) -> tuple[float, str | None]:
    try:
        return parse_duration(value, "phases[0].duration"), None
    except ConfigError as exc:
        return 0.0, str(exc)


@given(number=numbers)
def test_a_bare_number_is_refused_with_both_readings(number: str) -> None:
    if float(number) == 0:
        assert parse_duration(number, "x") == 0
        return
    with pytest.raises(ConfigError) as caught:
        parse_duration(number, "--latency")
    assert "has no unit" in str(caught.value)
    if float(number) <= MAX_DURATION:
        assert f"did you mean {number}ms or {number}s?" in str(caught.value)


@given(number=numbers, unit=UNITS)
def test_with_a_unit_it_is_read_and_bounded(number: str, unit: str) -> None:
    scale = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]
    expected = float(number) * scale
    if expected > MAX_DURATION:
        with pytest.raises(ConfigError, match="at most 1 day"):
            parse_duration(number + unit, "x")
    else:
        seconds = parse_duration(number + unit, "x")
        assert seconds == expected
        assert parse_duration(format_duration(seconds), "x") == seconds  # round trip


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(min_size=1, max_size=2000))
def test_any_history_file_is_read_or_one_line(tmp_path_factory: pytest.TempPathFactory,
                                              raw: bytes) -> None:
    path: Path = tmp_path_factory.mktemp("history") / "history.db"
    path.write_bytes(raw)
    error = None
    try:
        asyncio.run(list_runs(path))
    except ConfigError as exc:
        error = str(exc)
    assert error is None or (error.startswith(f"{path}: history: cannot use the run "
                                              "history") and "\n" not in error), error
