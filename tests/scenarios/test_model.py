"""The scenario format: good files, every kind of bad file (exact messages), the model."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest

from bff.policies.retry import RetryConfig
from scenarios.loader import load_scenario, parse_scenario, validate_file
from scenarios.model import Scenario, Slo, scale_durations
from sim.errors import ConfigError
from sim.faults.latency import Latency

FULL = """
name = "slow-inventory-demo"
description = "The book's inventory."
tags = ["smoke", "book"]
seed = 42

[policy]
preset = "resilient"
overrides = { "inventory.retry.max_attempts" = 1, "inventory.retry.retry_on_status" = [503] }

[load]
users = 20
spawn_rate = 5
think_time = { min = "50ms", max = "100ms" }

[faults]
cart = [{ type = "latency", delay = "5ms" }]

[[phases]]
name = "warm-up"
duration = "10s"

[[phases]]
name = "slow"
duration = "20s"
users = 40
faults.inventory = [{ type = "latency", dist = "uniform", min = "0s", max = "5s" }]
faults.cart = []

[[slo]]
metric = "latency_p95"
phase = "slow"
max = "1.6s"
why = "the deadline no longer bounds the page"

[[slo]]
metric = "breaker_time_to_open"
downstream = "inventory"
phase = "slow"
max = "5s"

[[slo]]
metric = "error_ratio"
max = "1%"

[[slo]]
metric = "requests_per_second"
min = 50
"""

MINIMAL = """
name = "tiny"
[[phases]]
name = "only"
duration = "5s"
"""


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        validate_file(path)
    return str(info.value).removeprefix(f"{path}: ")


def test_full_file(tmp_path: Path) -> None:
    scenario = validate_file(write(tmp_path, FULL, "demo.toml"))
    assert scenario.name == "slow-inventory-demo"
    assert scenario.tags == ("smoke", "book")
    assert scenario.seed == 42
    assert scenario.source == str(tmp_path / "demo.toml")
    assert scenario.policy_overrides == (("inventory.retry.max_attempts", 1),
                                         ("inventory.retry.retry_on_status", (503,)))
    assert (scenario.load.users, scenario.load.spawn_rate) == (20, 5.0)
    assert (scenario.load.think_min, scenario.load.think_max) == (0.05, 0.1)
    assert [p.name for p in scenario.phases] == ["warm-up", "slow"]
    assert scenario.duration == 30.0
    assert [scenario.users_in(p) for p in scenario.phases] == [20, 40]
    assert [scenario.spawn_rate_in(p) for p in scenario.phases] == [5.0, 5.0]
    assert scenario.slos[0] == Slo("latency_p95", max=1.6, phase="slow",
                                   why="the deadline no longer bounds the page")
    assert scenario.slos[2].max == 0.01
    assert scenario.slos[3].op == "min" and scenario.slos[3].threshold == 50.0
    assert [s.kind for s in scenario.slos] == ["duration", "duration", "ratio", "number"]


def test_defaults(tmp_path: Path) -> None:
    scenario = validate_file(write(tmp_path, MINIMAL))
    assert (scenario.description, scenario.tags, scenario.seed) == ("", (), 0)
    assert (scenario.policy_preset, scenario.policy_overrides) == ("resilient", ())
    assert scenario.load.users == 10 and scenario.load.spawn_rate == 10.0
    assert (scenario.load.think_min, scenario.load.think_max) == (0.05, 0.1)
    assert scenario.slos == () and dict(scenario.base_faults) == {}


def test_constant_think_time(tmp_path: Path) -> None:
    text = MINIMAL + '[load]\nthink_time = "80ms"\n'
    scenario = validate_file(write(tmp_path, text))
    assert (scenario.load.think_min, scenario.load.think_max) == (0.08, 0.08)


def test_fault_plan_and_policy(tmp_path: Path) -> None:
    scenario = validate_file(write(tmp_path, FULL))
    plan = scenario.fault_plan()
    assert plan.seed == 42
    assert plan.base == {"cart": (Latency(a=0.005),)}
    assert plan.phases[0].faults == {}
    assert plan.phases[1].faults["cart"] == ()  # [] = healthy in this phase
    assert plan.phases[1].faults["inventory"] == (Latency(dist="uniform", a=0.0, b=5.0),)
    policy = scenario.policy()
    assert policy.name == "resilient"
    assert policy.inventory.retry.max_attempts == 1
    assert policy.inventory.retry.retry_on_status == (503,)


def test_nested_override_tables(tmp_path: Path) -> None:
    text = MINIMAL + "[policy.overrides.inventory.retry]\nmax_attempts = 1\n"
    scenario = validate_file(write(tmp_path, text))
    assert scenario.policy_overrides == (("inventory.retry.max_attempts", 1),)


@pytest.mark.parametrize("text", [FULL, MINIMAL])
def test_round_trip(tmp_path: Path, text: str) -> None:
    scenario = validate_file(write(tmp_path, text))
    data = json.loads(json.dumps(scenario.to_dict()))  # what crosses the process boundary
    assert Scenario.from_dict(data) == scenario
    assert Scenario.from_dict(data).to_dict() == scenario.to_dict()


def test_round_trip_after_changes(tmp_path: Path) -> None:
    scenario = validate_file(write(tmp_path, FULL)).with_duration(13.7).with_users(3)
    scenario = scenario.with_policy(extra_overrides={"cart.retry.retry_on_status": [502, 503]})
    assert Scenario.from_dict(json.loads(json.dumps(scenario.to_dict()))) == scenario


def test_from_dict_revalidates(tmp_path: Path) -> None:
    data = validate_file(write(tmp_path, FULL)).to_dict()
    data["slo"][0]["phase"] = "nowhere"
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(data)
    assert str(info.value) == (f"{tmp_path / 'bad.toml'}: slo[0].phase: unknown phase "
                               f"'nowhere'; phases: warm-up, slow")


def test_to_dict_shape(tmp_path: Path) -> None:
    data = validate_file(write(tmp_path, FULL)).to_dict()
    assert data["slo"][1] == {"id": "breaker_time_to_open[inventory@slow]",
                              "metric": "breaker_time_to_open", "kind": "duration",
                              "max": "5s", "phase": "slow", "downstream": "inventory"}
    assert data["phases"][1]["users"] == 40 and "users" not in data["phases"][0]
    assert data["load"] == {"users": 20, "spawn_rate": 5.0,
                            "think_time": {"min": "50ms", "max": "100ms"}}
    assert data["policy"]["overrides"]["inventory.retry.retry_on_status"] == [503]


def test_slo_ids() -> None:
    assert Slo("latency_p95", max=1.0).id == "latency_p95"
    assert Slo("latency_p95", max=1.0, phase="steady").id == "latency_p95[steady]"
    assert Slo("retry_amplification", max=1.3, downstream="inventory").id == \
        "retry_amplification[inventory]"
    assert Slo("breaker_time_to_open", max=5.0, phase="outage", downstream="inventory").id \
        == "breaker_time_to_open[inventory@outage]"


def test_with_duration_scales_proportionally(tmp_path: Path) -> None:
    scenario = validate_file(write(tmp_path, FULL))
    short = scenario.with_duration(15)
    assert [p.duration for p in short.phases] == [5.0, 10.0]
    assert short.duration == 15.0
    assert short.phases[1].phase.faults == scenario.phases[1].phase.faults
    assert short.slos == scenario.slos and short.name == scenario.name
    assert scenario.duration == 30.0  # frozen: the original is untouched


def test_with_duration_keeps_a_second_per_phase() -> None:
    assert scale_durations([1, 100, 99], 10) == [1.0, 4.523, 4.477]
    assert scale_durations([1, 1, 1], 3) == [1.0, 1.0, 1.0]
    assert sum(scale_durations([7, 13, 21], 29.3)) == pytest.approx(29.3)
    with pytest.raises(ConfigError) as info:
        scale_durations([10, 20, 30], 2.5)
    assert str(info.value) == ("duration: must give each of the 3 phases at least 1 s "
                               "(at least 3 s), got 2.5 s")


def test_with_users_and_policy(tmp_path: Path) -> None:
    scenario = validate_file(write(tmp_path, FULL))
    more = scenario.with_users(50)
    assert [more.users_in(p) for p in more.phases] == [50, 50]
    with pytest.raises(ConfigError, match="users: must be an integer >= 1, got 0"):
        scenario.with_users(0)
    same = scenario.with_policy(extra_overrides={"deadline": "2s"})
    assert same.policy_overrides[-1] == ("deadline", "2s")
    assert same.policy().deadline == 2.0 and same.policy().inventory.retry.max_attempts == 1
    naive = scenario.with_policy("naive")
    assert naive.policy_preset == "naive" and naive.policy_overrides == ()
    with pytest.raises(ConfigError, match=r"inventory\.retry\.max_attmpts: unknown setting"):
        scenario.with_policy(extra_overrides={"inventory.retry.max_attmpts": 2})


RETRY_FIELDS = ", ".join(f.name for f in dataclasses.fields(RetryConfig))
DURATION_HELP = 'a non-negative duration with a unit, such as "250ms", "2s" or "1m"'
PHASES = """
[[phases]]
name = "warm-up"
duration = "5s"
[[phases]]
name = "outage"
duration = "5s"
faults.inventory = [{ type = "hang" }]
"""

BAD = [
    pytest.param('nmae = "x"\n' + PHASES,
                 "nmae: unknown field (did you mean 'name'?); allowed: name, description, "
                 "tags, seed, policy, load, faults, phases, slo, degraded,"
                 " gate", id="unknown-top-key"),
    pytest.param(PHASES, 'name: is required (lowercase letters, digits and dashes, such as '
                         '"slow-inventory")', id="no-name"),
    pytest.param('name = "Slow Inventory"\n' + PHASES,
                 'name: expected lowercase letters, digits and dashes, such as '
                 '"slow-inventory", got \'Slow Inventory\'', id="bad-name"),
    pytest.param('name = "x"\n', "phases: is required: at least one [[phases]] table with a "
                                 "name and a duration", id="no-phases"),
    pytest.param('name = "x"\n[load]\nusers = 0\n' + PHASES,
                 "load.users: must be from 1 to 100000, got 0", id="zero-users"),
    pytest.param('name = "x"\n[load]\nusers = "ten"\n' + PHASES,
                 "load.users: expected an integer from 1 to 100000, got 'ten'",
                 id="users-not-int"),
    pytest.param('name = "x"\n[load]\nuser = 3\n' + PHASES,
                 "load.user: unknown field (did you mean 'users'?); allowed: users, "
                 "spawn_rate, think_time", id="unknown-load-key"),
    pytest.param('name = "x"\n[load]\nthink_time = { min = "2s", max = "1s" }\n' + PHASES,
                 "load.think_time.max: must be >= min (2 s), got 1 s", id="think-max-lt-min"),
    pytest.param('name = "x"\n[policy]\npreset = "robust"\n' + PHASES,
                 "policy.preset: must be one of naive, book, book-retry, resilient; "
                 "got 'robust'", id="unknown-preset"),
    pytest.param('name = "x"\n[policy]\noverrides = { "inventory.retry.max_attmpts" = 2 }\n'
                 + PHASES, "policy.overrides.inventory.retry.max_attmpts: unknown setting; "
                           f"allowed: {RETRY_FIELDS}", id="unknown-override"),
    pytest.param('name = "x"\n' + PHASES.replace('duration = "5s"', 'duration = -1', 1),
                 f"phases[0].duration: expected {DURATION_HELP}, got -1",
                 id="negative-duration"),
    pytest.param('name = "x"\n' + PHASES + 'users = -3\n',
                 "phases[1].users: must be from 0 to 100000, got -3", id="negative-users"),
    pytest.param('name = "x"\n' + PHASES + 'userz = 3\n',
                 "phases[1].userz: unknown field; allowed: duration, faults, name, "
                 "spawn_rate, users", id="unknown-phase-key"),
    pytest.param('name = "x"\n' + PHASES.replace('"outage"', '"out age"'),
                 "phases[1].name: expected letters, digits, '-', '_' or '.' (it names the "
                 "phase in SLO ids), got 'out age'", id="bad-phase-name"),
    pytest.param('name = "x"\n' + PHASES + '[[phases]]\nname = "slow"\nduration = "5s"\n'
                 'faults.inventory = [{ type = "latency", delay = "-5ms" }]\n',
                 f"phases[2].faults.inventory[0].delay: expected {DURATION_HELP}, "
                 "got '-5ms'", id="negative-fault-delay"),
    pytest.param('name = "x"\n' + PHASES + 'faults.cart = [{ type = "error", rate = 1.5 }]\n',
                 "phases[1].faults.cart[0].rate: must be in [0, 1], got 1.5",
                 id="probability-above-one"),
    pytest.param('name = "x"\n' + PHASES + 'faults.payments = [{ type = "hang" }]\n',
                 "phases[1].faults.payments: unknown service; allowed: products, inventory, "
                 "favorites, cart", id="unknown-service"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "p95"\nmax = "1s"\n',
                 "slo[0].metric: unknown metric 'p95'; allowed: latency_p50, latency_p95, "
                 "latency_p99, latency_max, error_ratio, degraded_ratio, requests_per_second, "
                 "overhead_p99, breaker_time_to_open, breaker_opens, retry_amplification",
                 id="unknown-metric"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "error_ratio"\nmax = 0\n'
                 '[[slo]]\nmetric = "latency_p95"\nmax = "fast"\n',
                 f"slo[1].max: expected {DURATION_HELP}, got 'fast'", id="bad-slo-duration"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "error_ratio"\nmax = 1.5\n',
                 'slo[0].max: expected a ratio from 0 to 1 such as 0.05 (or "5%"), got 1.5',
                 id="ratio-above-one"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "latency_p95"\n',
                 "slo[0].max: give exactly one of max (an upper bound) or min (a lower bound)",
                 id="no-threshold"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "latency_p95"\nmax = "1s"\n'
                 'min = "1ms"\n', "slo[0].min: give exactly one of max (an upper bound) or "
                                  "min (a lower bound), not both", id="both-thresholds"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "latency_p95"\nmax = "1s"\n'
                 'phase = "steady"\n', "slo[0].phase: unknown phase 'steady'; phases: "
                                       "warm-up, outage", id="unknown-slo-phase"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "breaker_opens"\nmax = 1\n'
                 'downstream = "payments"\n', "slo[0].downstream: unknown downstream "
                 "'payments'; allowed: products, inventory, favorites, cart",
                 id="unknown-downstream"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "retry_amplification"\n'
                 'max = 1.2\n', "slo[0].downstream: is required for retry_amplification; "
                                "allowed: products, inventory, favorites, cart",
                 id="missing-downstream"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "latency_p95"\nmax = "1s"\n'
                 'downstream = "cart"\n', "slo[0].downstream: latency_p95 does not take a "
                 "downstream (only breaker_time_to_open, breaker_opens, retry_amplification "
                 "do)", id="needless-downstream"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "retry_amplification"\n'
                 'max = 1.2\ndownstream = "cart"\nphase = "outage"\n',
                 "slo[0].phase: retry_amplification is measured over the whole run; remove "
                 "phase", id="phase-not-supported"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "breaker_time_to_open"\n'
                 'max = "5s"\ndownstream = "inventory"\n',
                 "slo[0].phase: is required for breaker_time_to_open (the phase whose start "
                 "it is measured from); phases: warm-up, outage", id="missing-phase"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "breaker_time_to_open"\n'
                 'max = "5s"\ndownstream = "inventory"\nphase = "warm-up"\n',
                 "slo[0].phase: inventory has no faults in phase 'warm-up', so its breaker "
                 "has nothing to open on; phases with inventory faults: outage",
                 id="phase-without-faults"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "error_ratio"\nmax = 0\n'
                 'limit = 1\n', "slo[0].limit: unknown field; allowed: metric, max, min, "
                                "phase, downstream, why", id="unknown-slo-key"),
    pytest.param('name = "x"\n' + PHASES + '[[slo]]\nmetric = "error_ratio"\nmax = 0\n'
                 '[[slo]]\nmetric = "error_ratio"\nmax = 0.1\n',
                 "slo[1]: duplicate of slo[0] (error_ratio); one threshold per metric and "
                 "scope", id="duplicate-slo"),
    pytest.param('name = "x"\ntags = ["Smoke"]\n' + PHASES,
                 "tags[0]: expected lowercase letters, digits and dashes, such as "
                 "\"slow-inventory\", got 'Smoke'", id="bad-tag"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_files(tmp_path: Path, text: str, message: str) -> None:
    assert error_of(tmp_path, text) == message


def test_error_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\n[load]\nusers = 0\n' + PHASES)
    with pytest.raises(ConfigError) as info:
        load_scenario(str(path))
    assert str(info.value) == f"{path}: load.users: must be from 1 to 100000, got 0"
    assert info.value.exit_code == 2


def test_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "name = \n")
    with pytest.raises(ConfigError) as info:
        validate_file(path)
    assert str(info.value).startswith(f"{path}: toml: not valid TOML (")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_scenario(str(path))
    assert str(info.value) == f"{path}: file: does not exist"


def test_parse_scenario_from_a_dict() -> None:
    with pytest.raises(ConfigError) as info:
        parse_scenario({"name": "x", "phases": [{"name": "a", "duration": 1}],
                        "source": "somewhere"}, source="<json>")
    assert str(info.value).startswith("<json>: source: unknown field; allowed: name,")
