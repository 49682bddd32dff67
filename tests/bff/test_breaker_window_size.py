"""A breaker's window_size, as `--set` and policy/scenario files give it: a duration with a
unit for a "time" or "first_failure" window, a whole number of calls for a "count" one.
Before, a timed window took a bare number of seconds ("10" where 10 ms may have been
meant) and refused "10s"; a count window silently became 100 s when only window_type
was switched."""

from __future__ import annotations

from pathlib import Path

import pytest

from bff.overrides import resolve_policy
from sim.errors import ConfigError
from tests.cli_helpers import ALL_FREE, run_sim

SIZE, TYPE = "inventory.breaker.window_size", "inventory.breaker.window_type"


@pytest.mark.parametrize(("policy", "sets", "window"), [
    ("resilient", [f"{TYPE}=time", f"{SIZE}=10s"], ("time", 10.0)),
    ("resilient", [f"{SIZE}=500ms", f"{TYPE}=time"], ("time", 0.5)),  # any order
    ("resilient", [f"{TYPE}=first_failure", f"{SIZE}=2m"], ("first_failure", 120.0)),
    ("book", [f"{SIZE}=8s"], ("first_failure", 8.0)),
    ("book", [f"{TYPE}=time"], ("time", 5.0)),  # still timed: its 5 s stays 5 s
    ("resilient", [f"{SIZE}=20"], ("count", 20.0)),
    ("book", [f"{TYPE}=count", f"{SIZE}=50"], ("count", 50.0)),
])
def test_accepted_window_sizes(policy: str, sets: list[str], window: tuple[str, float]) -> None:
    breaker = resolve_policy(policy, sets).inventory.breaker
    assert breaker is not None
    assert (breaker.window_type, breaker.window_size) == window


@pytest.mark.parametrize(("policy", "sets", "problem"), [
    ("resilient", [f"{TYPE}=time", f"{SIZE}=10"],
     f"{SIZE}: a 'time' window lasts a duration: 10 has no unit; did you mean 10ms or 10s?"),
    ("book", [f"{SIZE}=2.5"], f"{SIZE}: a 'first_failure' window lasts a duration: 2.5 has "
                              "no unit; did you mean 2.5ms or 2.5s?"),
    ("resilient", [f"{SIZE}=10s"],
     f"{SIZE}: a count window counts calls: expected a whole number from 1 to 1,000,000, got "
     "'10s'; a duration needs window_type = \"time\""),
    ("resilient", [f"{SIZE}=2.5"],
     f"{SIZE}: a count window counts calls: expected a whole number from 1 to 1,000,000, got "
     "2.5; a duration needs window_type = \"time\""),
    ("resilient", [f"{TYPE}=time"],
     f"{TYPE}: a 'time' window needs window_size set as well, to a duration such as \"10s\" "
     "(it was a count window of 100 calls)"),
    ("book", [f"{TYPE}=count"],
     f"{TYPE}: a 'count' window needs window_size set as well, to a whole number of calls "
     "(it was a first_failure window of 5s)"),
])
def test_refused_window_sizes(policy: str, sets: list[str], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_policy(policy, sets)
    assert str(caught.value) == f"--set {problem}"


SCENARIO = """
name = "timed-window"
[policy]
preset = "resilient"
[policy.overrides]
"inventory.breaker.window_type" = "time"
"inventory.breaker.window_size" = {size}
[[phases]]
name = "only"
duration = "1s"
"""


def test_a_scenario_file_needs_the_unit(tmp_path: Path) -> None:
    bare = tmp_path / "bare.toml"
    bare.write_text(SCENARIO.format(size="10"))
    result = run_sim("scenarios", "validate", str(bare), timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {bare}: policy.overrides.{SIZE}: a 'time' window lasts a duration: 10 has "
        "no unit; did you mean 10ms or 10s?")
    with_unit = tmp_path / "unit.toml"
    with_unit.write_text(SCENARIO.format(size='"10s"'))
    result = run_sim("scenarios", "validate", str(with_unit), timeout=30)
    assert result.returncode == 0, result.stderr


def test_sim_serve_refuses_a_bare_time_window() -> None:
    result = run_sim("serve", *ALL_FREE, "--set", f"{TYPE}=time", "--set", f"{SIZE}=10",
                     timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: --set {SIZE}: a 'time' window lasts a duration: 10 has no unit; did you "
        "mean 10ms or 10s?")
