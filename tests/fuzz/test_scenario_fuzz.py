"""Scenario files, fuzzed through the validator.

Property: whatever a scenario file holds (random bytes, random text, valid TOML of any
shape, or a built-in scenario with fields deleted, retyped or pushed out of range), the
loader (`scenarios.loader.validate_file`, what `sim scenarios validate` and `sim run
--scenario FILE` call) either returns a Scenario or raises the project's user error: a
`SimError` (here always `ConfigError`, sim/errors.py) whose message is one line and starts
with the file's path. The CLI prints that as one line on stderr and exits 2. Never any
other exception. An accepted Scenario is usable: its PolicySet and FaultPlan build, and it
survives a JSON round trip of its dict, `Scenario.from_dict(to_dict()) == s`
(scenarios/model.py's contract; report.json holds that dict).

Nothing in a scenario file is evaluated or interpreted: strings such as
`__import__('os').system(...)`, `${...}`, `$(...)`, `<script>` or `[bold]` are kept
literally or refused, and reach report.html, junit.xml and the terminal as the same text
(escaped), run nothing and inject nothing.

Regressions: this file found six ways out of that contract, all fixed; each keeps an
explicit test below, and the properties generate those inputs too:
1. a file that is not UTF-8 (UnicodeDecodeError from tomllib escaped sim.plan.read_toml);
2. an integer too large for a float (`duration = 99...9`, 400 digits: OverflowError in
   parse_duration, policy `_checks.number`, SpecReader.number, overrides `_convert`), or
   past Python's 4,300-digit int limit (ValueError from tomllib, then from repr);
3. a quoted key with a line break (`"a\\nb" = 1`) made the message two lines;
4. the CLI read the message as rich markup: `name = "[/x]"` crashed it (MarkupError),
   `name = "[bold]x"` lost its brackets;
5. `sim.durations.format_duration` rounded to 12 digits, so a fault delay of
   0.30000000000000004 s came back from `to_dict()` as "300ms" and 1e-9 s as "1e-06ms"
   (not a duration): `Scenario.from_dict(s.to_dict()) != s`;
6. TOML's hex, octal and binary integers (`seed = 0x` + 5,000 hex digits) are read by
   tomllib without Python's 4,300-digit limit, which only guards decimal text: every
   error message that quoted such a value with repr() raised ValueError (messages now
   use `sim.errors.shown()`), and integer policy knobs had no upper bound, so report.json
   could not be written (now at most 1,000,000).
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import io
import itertools
import json
import math
import os
import subprocess
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from reports.html import render_html
from reports.junit import render_junit
from reports.terminal import full_report
from scenarios.loader import CATALOGUE, builtin_names, validate_file
from scenarios.model import Scenario
from sim.errors import ConfigError, SimError
from tests.cli_helpers import SIM

BUILTINS = builtin_names()
ORIGINALS: dict[str, dict[str, Any]] = {
    name: tomllib.loads((CATALOGUE / f"{name}.toml").read_text()) for name in BUILTINS}

_counter = itertools.count()

HUGE = 10**400  # past float range (and 2**63: TOML's own limit, which tomllib ignores)
LONG = 2**20_000  # 6,021 digits, past Python's 4,300-digit limit for str(int)
# Every character str.splitlines() breaks a line at.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


# -- a small TOML writer (the project has none; tomllib only reads) ---------------------

def _string(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # past Python's 4,300-digit limit: TOML's hex has none
            return hex(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_string(str(k))} = {toml_value(v)}"
                               for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


def toml_dumps(table: dict[str, Any]) -> str:
    """Every table inline, every key quoted: any key and any nesting is one line each."""
    return "".join(f"{_string(key)} = {toml_value(value)}\n" for key, value in table.items())


def _comparable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "<nan>"
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    return value


# -- the property ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scenario-fuzz")


def write_file(directory: Path, content: bytes | str) -> Path:
    path = directory / f"case-{next(_counter)}.toml"
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def check_file(path: Path) -> Scenario | None:
    """The property for one file: a usable Scenario, or one line naming the file."""
    error: SimError | None = None
    try:
        scenario = validate_file(path)
    except SimError as exc:  # anything else fails the test
        error = exc
    finally:
        path.unlink(missing_ok=True)
    if error is not None:
        message = str(error)
        assert isinstance(error, ConfigError), (type(error), message)
        assert error.exit_code == 2
        assert message.splitlines() == [message], message
        assert message.startswith(f"{path}: "), message
        assert message.strip() != f"{path}:"
        return None
    assert isinstance(scenario, Scenario)
    assert scenario.source == str(path)
    assert scenario.phases, "a scenario has at least one phase"
    scenario.policy()
    plan = scenario.fault_plan()
    assert plan.total_duration > 0
    crossed = json.loads(json.dumps(scenario.to_dict(), allow_nan=False))
    assert Scenario.from_dict(crossed) == scenario
    return scenario


def check_document(directory: Path, document: dict[str, Any]) -> Scenario | None:
    text = toml_dumps(document)
    assert _comparable(tomllib.loads(text)) == _comparable(document)  # the writer is right
    return check_file(write_file(directory, text))


FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# -- (a) bytes and text ----------------------------------------------------------------

TOKENS = ["name", "description", "tags", "seed", "policy", "load", "faults", "phases",
          "slo", "users", "duration", "type", "=", " = ", "[", "]", "[[", "]]", "{", "}",
          ",", ".", "\n", '"', "'", '"""', "#", "[[phases]]", "[policy]", "[[slo]]",
          '"x"', '"1s"', '"-1s"', "1", "-1", "1e400", "nan", "inf", "true", "0x1F",
          "1979-05-27", "07:32:00", '"\\u0000"', "\\", "\x00", "\ufeff", "é"]


@FUZZ
@given(raw=st.binary(max_size=300))
def test_random_bytes(workdir: Path, raw: bytes) -> None:
    check_file(write_file(workdir, raw))


@FUZZ
@given(text=st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
       | st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_random_text(workdir: Path, text: str) -> None:
    check_file(write_file(workdir, text))


# -- (b) valid TOML of random shape ----------------------------------------------------

VOCABULARY = [
    "name", "description", "tags", "seed", "policy", "load", "faults", "phases", "slo",
    "preset", "overrides", "users", "spawn_rate", "think_time", "min", "max", "duration",
    "metric", "phase", "downstream", "why", "type", "delay", "dist", "rate", "status",
    "probability", "retry_after", "jitter", "cap", "attempts", "products", "inventory",
    "favorites", "cart", "deadline", "inventory.retry.max_attempts", "cart.breaker.mode",
    "inventory.timeout", "catalogue_wait", "latency_p95", "error_ratio",
]
keys = st.sampled_from(VOCABULARY) | st.text(
    st.characters(exclude_categories=["Cs"]), max_size=10) | st.sampled_from(
    [f"a{char}b" for char in LINE_BREAKS] + ["[/x]", "[bold]"])
STRINGS = ["", " ", "x", "1s", "250ms", "-1s", "-0ms", "1e9s", "5 s", "5sec", "ms", "1m",
           "99999999999999h", "5%", "150%", "-5%", "nan", "inf", "none", "null", "off",
           "true", "hang", "latency", "error", "uniform", "pareto", "resilient", "book",
           "naive", "metrics_only", "inventory", "cart", "latency_p95", "error_ratio",
           "breaker_time_to_open", "smoke", "warm-up", "[/x]", "a\nb", "${HOME}"]
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    # Not LONG: hypothesis cannot print it; test_integers_past_4300_digits_in_hex has it.
    st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63), 10**30, 599, 600, 100_001, HUGE, -HUGE]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, 1.0000001, 1.5, 1e308, -1e308, 5e-324]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
    st.sampled_from(STRINGS),
    st.datetimes(), st.dates(), st.times(),
)
values = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                      | st.dictionaries(keys, children, max_size=5), max_leaves=20)
documents = st.dictionaries(keys, values, max_size=8)

# Nearer the format, so that the checks past the first few fields are reached too: each
# field is usually of the right kind (often right outright) and sometimes anything at all.
def mostly(right: st.SearchStrategy[Any], anything: st.SearchStrategy[Any] = values
           ) -> st.SearchStrategy[Any]:
    return st.integers(0, 7).flatmap(lambda roll: anything if roll == 7 else right)


def near(*choices: Any) -> st.SearchStrategy[Any]:
    return mostly(st.sampled_from(choices), scalars)


def near_key(*choices: str) -> st.SearchStrategy[str]:
    return mostly(st.sampled_from(choices), keys)


durations = mostly(st.sampled_from(["1s", "250ms", "0s", "5ms", 2, 0.5, "-1s", "1e3s", "1h"])
                   | st.floats(min_value=0, max_value=1e4), scalars)
ratios = near(0, 0.05, 1, "5%", "0.5%", 1.5, -0.1, "150%")
probabilities = near(0.0, 0.3, 1.0, 1, 1.0000001, -0.5, 2)
services = near_key("products", "inventory", "favorites", "cart", "nope")
fault_tables = st.one_of(
    st.fixed_dictionaries({"type": near("latency")}, optional={
        "delay": durations, "dist": near("fixed", "uniform", "normal", "pareto", "x"),
        "min": durations, "max": durations, "mean": durations, "stddev": durations,
        "scale": durations, "alpha": near(0.5, 2, 0, 1000), "sigma": near(0.5, 11, -1),
        "jitter": durations, "cap": durations, "probability": probabilities}),
    st.fixed_dictionaries({"type": near("error")}, optional={
        "rate": probabilities, "probability": probabilities, "status": near(503, 429, 200,
                                                                             600, 503.0),
        "retry_after": durations}),
    st.fixed_dictionaries({"type": near("reset", "hang", "malformed", "down")},
                          optional={"probability": probabilities}),
    st.fixed_dictionaries({"type": near("slow_body")},
                          optional={"duration": durations, "probability": probabilities}),
    st.fixed_dictionaries({"type": near("fail_first")},
                          optional={"attempts": near(1, 3, 0, -1, 2.5)}),
    st.dictionaries(keys, values, max_size=3),
)
service_faults = mostly(st.dictionaries(services, mostly(st.lists(fault_tables, max_size=2)),
                                        max_size=3))
phase_names = near("warm-up", "outage", "slow", "a.b_c", "warm-up", "outage", "slow",
                   "bad name", "[x]", "")
phase_tables = st.fixed_dictionaries(
    {"name": phase_names, "duration": durations},
    optional={"faults": service_faults, "users": near(0, 5, -1, 100_001, 2.0),
              "spawn_rate": near(1, 0.5, 0, -1)})
slo_tables = st.fixed_dictionaries(
    {"metric": near("latency_p95", "latency_max", "error_ratio", "degraded_ratio",
                    "breaker_time_to_open", "breaker_opens", "retry_amplification",
                    "requests_per_second", "overhead_p99", "nope")},
    optional={"max": mostly(durations | ratios), "min": mostly(ratios | near(50, -1)),
              "phase": phase_names, "downstream": services, "why": near("why", "")})
override_paths = near_key(
    "deadline", "catalogue_wait", "inventory_wait", "inventory.timeout",
    "inventory.retry.max_attempts", "inventory.retry.base", "inventory.retry.cap",
    "inventory.retry.jitter", "inventory.retry.retry_on_status", "cart.budget",
    "cart.budget.ratio", "cart.breaker", "cart.breaker.mode", "cart.breaker.window_size",
    "cart.breaker.max_open_duration", "products.fallback.kind", "inventory.hedge.enabled",
    "inventory.hedge.delay", "inventory.bulkhead.max_concurrent", "inventory.retry.nope",
    "inventory.retry.max_attempts.x", "name")
override_values = near("none", "2s", "50ms", 3, 0, 1.5, [503], [503, "x"], [],
                       "metrics_only", "null", "decorrelated", True, "off")
scenario_like = st.fixed_dictionaries(
    {"name": near("fuzz", "a-1"),
     "phases": mostly(st.lists(phase_tables, min_size=1, max_size=3))},
    optional={
        "description": near("d", "", " trimmed "), "tags": mostly(st.lists(near("smoke", "a",
                                                                                "A"))),
        "seed": near(0, 42, -1, 2**63 - 1, 2**63),
        "policy": mostly(st.fixed_dictionaries({}, optional={
            "preset": near("resilient", "book", "book-retry", "naive", "nope"),
            "overrides": mostly(st.dictionaries(override_paths, override_values,
                                                max_size=3))})),
        "load": mostly(st.fixed_dictionaries({}, optional={
            "users": near(1, 10, 0, 100_001, 1.5), "spawn_rate": near(1, 0.5, 0, -1),
            "think_time": durations | st.fixed_dictionaries(
                {}, optional={"min": durations, "max": durations})})),
        "faults": service_faults,
        "slo": mostly(st.lists(slo_tables, max_size=4))})


@FUZZ
@given(document=documents)
def test_toml_of_random_shape(workdir: Path, document: dict[str, Any]) -> None:
    check_document(workdir, document)


@FUZZ
@given(document=scenario_like)
def test_toml_shaped_like_a_scenario(workdir: Path, document: dict[str, Any]) -> None:
    check_document(workdir, document)


# -- (c) built-in scenarios, mutated ---------------------------------------------------

NASTY = st.one_of(
    st.sampled_from([-1, -0.001, 0, 1.0000001, 2, 100, 1e308, -1e308, 2**63 - 1, HUGE,
                     -(2**63), 10**30, math.nan, math.inf, -math.inf, "", "-5s", "-1ms",
                     "1e9s", "5 parsecs", "150%", "none", True, [], {}, [1, "a"],
                     {"x": 1}, "__import__('os').system('true')", "${HOME}",
                     dt.datetime(1979, 5, 27, 7, 32), dt.date(2024, 2, 29)]),
    scalars, values)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    children: Any = node.items() if isinstance(node, dict) else \
        enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _paths(child, (*prefix, key))


def _perturbed(value: Any) -> list[Any]:
    """Out-of-range neighbours of a leaf: negative, huge, off by one, retyped."""
    if isinstance(value, bool):
        return [not value, int(value), str(value).lower()]
    if isinstance(value, int):  # exact arithmetic: no float (it may be past float range)
        return [-value - 1, value * HUGE, value + 1, value * 2, math.nan, str(value)]
    if isinstance(value, float):
        return [-value - 1, value * 1e300, value + 1, value + 0.5, math.nan, str(value)]
    if isinstance(value, str):
        return ["-" + value, value + "s", value * 3, value.upper(), value[:-1], " " + value,
                [value]]
    return [None]


@st.composite
def mutated_builtins(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[str]]:
    name = draw(st.sampled_from(BUILTINS))
    document = json.loads(json.dumps(ORIGINALS[name]))  # a deep copy (no dates there)
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(document))
        if not paths:
            break
        path = draw(st.sampled_from(paths[::-1]))  # the simplest draw: the deepest leaf
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        key, current = path[-1], parent[path[-1]]
        operation = draw(st.sampled_from(["perturb", "replace", "unknown_key", "delete"]))
        if operation == "delete":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(NASTY)
        elif operation == "perturb":
            replacement = draw(st.sampled_from(_perturbed(current)))
            if replacement is None:
                continue
            parent[key] = replacement
        else:
            target = current if isinstance(current, dict) else parent
            if not isinstance(target, dict):
                continue
            target[draw(keys)] = draw(NASTY)
        steps.append(f"{operation} {'.'.join(map(str, path))}")
    return name, document, steps


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_passes_unchanged(workdir: Path, name: str) -> None:
    assert check_document(workdir, ORIGINALS[name]) is not None


@settings(FUZZ, max_examples=300)
@given(case=mutated_builtins())
def test_mutated_builtins(workdir: Path, case: tuple[str, dict[str, Any], list[str]]) -> None:
    _, document, _ = case
    check_document(workdir, document)


# -- regressions (module docstring) ---------------------------------------------------

@pytest.mark.parametrize("raw", [b'name = "caf\xe9"\n', b"\xff\xfe", b"\x80", b"\xed\xa0\x80"])
def test_bytes_that_are_not_utf8(workdir: Path, raw: bytes) -> None:
    check_file(write_file(workdir, raw))


PHASE = {"name": "a", "duration": "1s"}


FIELDS_WITH_A_NUMBER: dict[str, dict[str, Any]] = {
    "phase-duration": {"name": "x", "phases": [{"name": "a", "duration": 0}]},
    "override-deadline": {"name": "x", "phases": [PHASE],
                          "policy": {"overrides": {"deadline": 0}}},
    "override-attempts": {"name": "x", "phases": [PHASE],
                          "policy": {"overrides": {"inventory.retry.max_attempts": 0}}},
    "fault-rate": {"name": "x", "phases": [PHASE],
                   "faults": {"cart": [{"type": "error", "rate": 0}]}},
    "fault-delay": {"name": "x", "phases": [PHASE],
                    "faults": {"cart": [{"type": "latency", "delay": 0}]}},
    "fault-status": {"name": "x", "phases": [PHASE],
                     "faults": {"cart": [{"type": "error", "status": 0}]}},
    "users": {"name": "x", "phases": [PHASE], "load": {"users": 0}},
    "spawn-rate": {"name": "x", "phases": [PHASE], "load": {"spawn_rate": 0}},
    "slo-duration": {"name": "x", "phases": [PHASE],
                     "slo": [{"metric": "latency_p95", "max": 0}]},
    "slo-ratio": {"name": "x", "phases": [PHASE], "slo": [{"metric": "error_ratio", "max": 0}]},
    "slo-number": {"name": "x", "phases": [PHASE],
                   "slo": [{"metric": "requests_per_second", "min": 0}]},
    "seed": {"name": "x", "phases": [PHASE], "seed": 0},
    "name": {"name": 0, "phases": [PHASE]},
}


def with_number(document: dict[str, Any], number: int) -> str:
    text = toml_dumps(document)
    assert text.count(" = 0") == 1
    return text.replace(" = 0", f" = {toml_value(number)}")


@pytest.mark.parametrize("number", [HUGE, -HUGE], ids=["400-digits", "negative"])
@pytest.mark.parametrize("field", FIELDS_WITH_A_NUMBER)
def test_integers_too_big_for_a_float(workdir: Path, field: str, number: int) -> None:
    check_file(write_file(workdir, with_number(FIELDS_WITH_A_NUMBER[field], number)))


def test_integers_past_the_4300_digit_limit_in_decimal(workdir: Path) -> None:
    check_file(write_file(workdir, 'name = "x"\nseed = 1' + "0" * 5000 + "\n"))
    check_file(write_file(workdir, toml_dumps({"name": "x", "phases": [PHASE]})
                          + "[load]\nusers = " + "9" * 5000 + "\n"))


@pytest.mark.parametrize("field", FIELDS_WITH_A_NUMBER)
def test_integers_past_4300_digits_in_hex(workdir: Path, field: str) -> None:
    # TOML's 0x (and 0o, 0b) integers are read without Python's decimal digit limit.
    check_file(write_file(workdir, with_number(FIELDS_WITH_A_NUMBER[field], LONG)))


@pytest.mark.parametrize("char", LINE_BREAKS)
@pytest.mark.parametrize("where", ["top-level", "phase", "fault", "override", "slo"])
def test_keys_with_line_breaks(workdir: Path, where: str, char: str) -> None:
    key = f"a{char}b"
    documents: dict[str, dict[str, Any]] = {
        "top-level": {key: 1, "name": "x", "phases": [PHASE]},
        "phase": {"name": "x", "phases": [{**PHASE, key: 1}]},
        "fault": {"name": "x", "phases": [PHASE], "faults": {"cart": [{"type": "hang",
                                                                         key: 1}]}},
        "override": {"name": "x", "phases": [PHASE], "policy": {"overrides": {key: 1}}},
        "slo": {"name": "x", "phases": [PHASE], "slo": [{"metric": "error_ratio", "max": 0,
                                                         key: 1}]},
    }
    assert check_document(workdir, documents[where]) is None


@pytest.mark.parametrize("delay", [0.30000000000000004, 1.2345678901234567, 1e-9, 5e-324,
                                   59.99999999999999, 7200.000000000001])
def test_fault_durations_survive_the_dict_round_trip(workdir: Path, delay: float) -> None:
    def seconds(value: float) -> str:  # every digit repr() has, with a unit
        return format(Decimal(repr(value)), "f") + "s"

    document = {"name": "x", "phases": [{"name": "a", "duration": "1s", "faults": {
        "cart": [{"type": "latency", "dist": "uniform", "min": seconds(delay),
                  "max": seconds(delay * 2), "jitter": seconds(delay)},
                 {"type": "slow_body", "duration": seconds(delay)}]}}]}
    assert check_document(workdir, document) is not None  # with the round trip in it


# -- through the real CLI --------------------------------------------------------------

def validate_cli(path: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([SIM, "scenarios", "validate", str(path)], capture_output=True,
                          text=True, timeout=60, env=env, cwd=cwd, check=False)


def assert_one_clean_line(path: Path, result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}: "), lines[0]
    assert result.stdout == ""


VALID_TAIL = '\n[[phases]]\nname = "a"\nduration = "1s"\n'
BROKEN: list[Any] = [
    pytest.param(b'name = "x"\n[[phases]\n', id="not-toml"),
    pytest.param(b'name = "x"\nnmae = "y"' + VALID_TAIL.encode(), id="unknown-field"),
    pytest.param(b'name = "x"\n[[phases]]\nname = "a"\nduration = "-1s"\n',
                 id="negative-duration"),
    pytest.param(b'name = "x"\n[faults]\ncart = [{ type = "error", rate = 1.5 }]'
                 + VALID_TAIL.encode(), id="probability-above-1"),
    # The regressions of the module docstring that reached the terminal as tracebacks
    # or as more than one line.
    pytest.param(b'name = "caf\xe9"' + VALID_TAIL.encode(), id="not-utf8"),
    pytest.param(b'name = "[/x]"' + VALID_TAIL.encode(), id="rich-markup"),
    pytest.param(b'name = "x"\n"a\\nb" = 1' + VALID_TAIL.encode(), id="key-with-newline"),
    pytest.param(b'name = "x"' + VALID_TAIL.encode()
                 + b'faults.cart = [{ type = "latency", delay = ' + b"9" * 400 + b" }]\n",
                 id="huge-integer"),
]


@pytest.mark.parametrize("content", BROKEN)
def test_cli_validate_broken_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(content)
    assert_one_clean_line(path, validate_cli(path))


def test_cli_prints_brackets_literally(tmp_path: Path) -> None:
    path = tmp_path / "markup.toml"
    path.write_text('name = "[bold]x"' + VALID_TAIL)
    result = validate_cli(path)
    assert_one_clean_line(path, result)
    assert result.stderr.rstrip().endswith("got '[bold]x'"), result.stderr


# -- nothing is evaluated --------------------------------------------------------------

def payloads(marker: Path) -> list[str]:
    command = f"touch {marker}"
    return [f"__import__('os').system('{command}')", f"${{{command}}}", f"$({command})",
            f"`{command}`", f"{{__import__('os').system('{command}')}}",
            f"{{{{ cycler.__init__.__globals__.os.popen('{command}') }}}}",
            f"%(x)s; {command}", f"!!python/object/apply:os.system ['{command}']"]


def documents_with(payload: str) -> list[dict[str, Any]]:
    """A valid scenario with the payload in each string field, one field at a time."""
    def scenario(**changes: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "name": "code", "description": "d", "tags": ["t"],
            "policy": {"preset": "resilient", "overrides": {}},
            "load": {"think_time": "50ms"},
            "phases": [{"name": "a", "duration": "1s",
                        "faults": {"cart": [{"type": "latency", "delay": "5ms"}]}}],
            "slo": [{"metric": "error_ratio", "max": 0.5, "why": "w"}]}
        base.update(changes)
        return base

    phase = {"name": "a", "duration": "1s"}
    return [
        scenario(description=payload),
        scenario(slo=[{"metric": "error_ratio", "max": 0.5, "why": payload}]),
        scenario(name=payload),
        scenario(tags=[payload]),
        scenario(seed=payload),
        scenario(policy={"preset": payload}),
        scenario(policy={"overrides": {"inventory.retry.jitter": payload}}),
        scenario(policy={"overrides": {"deadline": payload}}),
        scenario(policy={"overrides": {payload: 1}}),
        scenario(load={"think_time": payload}),
        scenario(phases=[{"name": payload, "duration": "1s"}]),
        scenario(phases=[{"name": "a", "duration": payload}]),
        scenario(phases=[phase], faults={"cart": [{"type": payload}]}),
        scenario(phases=[phase], faults={"cart": [{"type": "latency", "dist": payload,
                                                   "delay": "1ms"}]}),
        scenario(phases=[phase], faults={"cart": [{"type": "latency", "delay": payload}]}),
        scenario(slo=[{"metric": payload, "max": 1}]),
        scenario(slo=[{"metric": "latency_p95", "max": payload}]),
        scenario(slo=[{"metric": "latency_p95", "max": "1s", "phase": payload}]),
    ]


MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[bold red]x[/]",
          "]]><injected/>", "&amp; &lt;"]


def test_strings_are_kept_literally_and_escaped_in_every_report(
        tmp_path: Path, built_report: dict[str, Any]) -> None:
    """Each string a scenario file holds reaches the scenario and every rendering of a
    report as the same text: never run, never read as HTML, XML or rich markup."""
    marker = tmp_path / "pwned"
    for payload in [*payloads(marker), *MARKUP]:
        kept = 0
        for document in documents_with(payload):
            scenario = check_document(tmp_path, document)
            if scenario is None:
                continue
            kept += 1
            text = json.dumps(scenario.to_dict())
            assert json.dumps(payload)[1:-1] in text, (payload, text)
            report = {**copy.deepcopy(built_report), "scenario": scenario.to_dict()}
            assert_rendered_literally(report, payload)
        assert kept >= 2, payload  # at least description and why, each time
        assert not marker.exists(), payload


def assert_rendered_literally(report: dict[str, Any], payload: str) -> None:
    report["slos"][0].update(passed=False, rule=payload)
    report["problems"] = [payload]
    page = render_html(report)
    assert html.escape(payload) in page
    assert "<script" not in page and "<img" not in page and "<injected" not in page
    root = ElementTree.fromstring(render_junit([report]))
    messages = {failure.get("message") for failure in root.iter("failure")}
    assert payload in messages
    console = Console(width=400, record=True, file=io.StringIO(), color_system=None)
    console.print(full_report(report))
    assert payload in console.export_text()


def test_nothing_is_evaluated_through_the_cli(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = payloads(Path("pwned"))  # relative: into the CLI's working directory
    document = {"name": "code", "description": " ".join(payload),
                "phases": [{"name": "a", "duration": "1s"}],
                "slo": [{"metric": "error_ratio", "max": 0.5, "why": payload[0]}]}
    path = tmp_path / "code.toml"
    path.write_text(toml_dumps(document))
    result = validate_cli(path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ok (code, 1 phases, 1 SLOs)" in result.stdout
    broken = tmp_path / "code-broken.toml"
    broken.write_text(toml_dumps({**document, "name": payload[1],
                                  "tags": [payload[0]]}))
    assert_one_clean_line(broken, validate_cli(broken, cwd=tmp_path))
    assert not marker.exists()
    assert sorted(tmp_path.iterdir()) == sorted([path, broken])
