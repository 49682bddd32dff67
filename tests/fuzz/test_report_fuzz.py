"""Hand-edited report.json files, fuzzed through `sim report` and `sim compare`.

Property: whatever a report.json holds (a real report from `sim run` with a field
deleted, retyped or replaced by any JSON value; random bytes; deep nesting), reading it
(`reports.files.read_report`) either raises one ConfigError naming the file and the field,
or gives a report every renderer (terminal, HTML, Markdown, JUnit) and the baseline
comparison handle without an exception. Before the schema check, a report without
`scenario` or with a string for a p95 crashed `sim report` with a KeyError/TypeError.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from cli import app
from reports.baseline import compare
from reports.files import read_report
from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.report_schema import check_report
from reports.terminal import baseline_table, full_report
from sim.errors import ConfigError
from tests.cli_helpers import run_sim

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.text(max_size=6), children, max_size=3), max_leaves=6)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in the report, breadth first (long series are cut to 3 items)."""
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node[:3]):
            yield from paths(child, (*prefix, index))


def render_everything(report: dict[str, Any], other: dict[str, Any]) -> None:
    console = Console(width=160, file=io.StringIO(), color_system=None)
    console.print(full_report(report))
    render_html(report)
    render_markdown(report)
    render_junit([report])
    for base, new in ((report, other), (other, report)):
        console.print(baseline_table(compare(base, new)))


def check_file(path: Path, other: dict[str, Any]) -> None:
    try:
        data = read_report(path)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: ") and "\n" not in message, message
        return
    render_everything(data, other)


class Original:
    """The session's real report and its key paths (a short repr for hypothesis)."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report
        self.paths = [p for p in paths(report) if p]

    def copy(self) -> dict[str, Any]:
        return copy.deepcopy(self.report)

    def __repr__(self) -> str:
        return "<report.json of a real short-outage run>"


@pytest.fixture(scope="module")
def original(built_report: dict[str, Any]) -> Original:
    return Original(built_report)


# 150 renders of every format: about 10 s alone, past 60 s when it waits for the session's
# outage run (tests/conftest.py) and shares the cores with 3 other workers.
@pytest.mark.timeout(150)
@FUZZ
@given(which=st.integers(0, 10**6), value=json_values, delete=st.booleans())
def test_edited_reports_are_rendered_or_refused_in_one_line(
        tmp_path: Path, original: Original, which: int, value: Any, delete: bool) -> None:
    edit_and_check(tmp_path, original, original.paths[which % len(original.paths)], value,
                   delete=delete)


def edit_and_check(tmp_path: Path, original: Original, path: tuple[Any, ...], value: Any,
                   *, delete: bool) -> None:
    """The real report with the key at `path` deleted (if in a dict) or set to `value`."""
    edited = original.copy()
    parent = _at(edited, path[:-1])
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    target = tmp_path / "report.json"
    target.write_text(json.dumps(edited))
    check_file(target, original.copy())


@FUZZ
@given(raw=st.binary(max_size=200))
def test_random_bytes(tmp_path: Path, original: Original, raw: bytes) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(raw)
    check_file(target, original.copy())


# Fields the schema once left out while renderers read them: every path under them is
# edited, not just the ones hypothesis happens to pick.
ADDED = (("blackbox",), ("faults", "decisions"), ("faults", "plan"), ("slos",))


@pytest.mark.parametrize("edit", ["x", None, "delete"])
def test_every_path_under_the_added_fields_is_rendered_or_refused(
        tmp_path: Path, original: Original, edit: str | None) -> None:
    edited_paths = [p for p in original.paths if p[:2] in ADDED or p[:1] in ADDED]
    assert len(edited_paths) > 50
    for path in edited_paths:
        edit_and_check(tmp_path, original, path, edit, delete=edit == "delete")


def test_the_real_report_passes_the_check(report_file: Path) -> None:
    assert read_report(report_file)["schema"] == "bff-sim/report"


CLI_EDITS = [
    (lambda r: r.pop("scenario"), "report: 'scenario' is missing"),
    (lambda r: r["client"]["phases"]["outage"].update(p95="fast"),
     "client.phases.outage.p95: expected number, got 'fast'"),
    (lambda r: r.update(version=2), "version: report.json version 2; this bff-sim reads "
                                    "version 1"),
    (lambda r: r["downstreams"]["inventory"].pop("calls"),
     "downstreams.inventory: 'calls' is missing"),
    (lambda r: r["blackbox"]["services"]["cart"].update(calls="x"),
     "blackbox.services.cart.calls: expected integer, got 'x'"),
    (lambda r: r["slos"][0].update(status="maybe"),
     "slos.0.status: expected ['pass', 'fail', 'n/a'], got 'maybe'"),
    # Found by the property above: the schema let it go and `sim report` hit a KeyError.
    (lambda r: r["scoring"]["inventory"]["phases"]["outage"].pop("time_to_open"),
     "scoring.inventory.phases.outage: 'time_to_open' is missing"),
]


def edited_file(tmp_path: Path, built_report: dict[str, Any], edit: Any) -> Path:
    edited = copy.deepcopy(built_report)
    edit(edited)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(edited))
    return path


@pytest.mark.parametrize(("edit", "message"), CLI_EDITS)
def test_the_cli_names_the_field_in_one_line(tmp_path: Path, built_report: dict[str, Any],
                                             edit: Any, message: str) -> None:
    # The real Typer app in-process (a `sim compare` launch costs about 3 s of CPU); the
    # console script itself is run on one edit below.
    path = edited_file(tmp_path, built_report, edit)
    for args in (("report", str(path)), ("compare", str(path), str(path))):
        result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert result.exit_code == 2, result.stderr
        assert result.stderr.strip() == f"error: {path}: {message}"


def test_the_console_script_names_the_field_in_one_line(
        tmp_path: Path, built_report: dict[str, Any]) -> None:
    edit, message = CLI_EDITS[1]
    path = edited_file(tmp_path, built_report, edit)
    for args in (("report", str(path)), ("compare", str(path), str(path))):
        result = run_sim(*args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == f"error: {path}: {message}"


def test_deep_nesting_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = run_sim("report", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {path}: RUN: not a report.json (nested too deeply)"


def test_no_string_in_a_report_becomes_html(tmp_path: Path, original: Original) -> None:
    """`sim report --write` renders a hand-edited report.json: no string field of it may
    turn into markup in report.html."""
    payload = "<img src=x onerror=alert(1)>"
    strings = [p for p in original.paths if isinstance(_at(original.report, p), str)]
    assert len(strings) > 20
    for path in strings:
        edited = original.copy()
        _at(edited, path[:-1])[path[-1]] = payload
        try:
            checked = check_report(edited, "report.json")
        except ConfigError:
            continue
        assert "<img" not in render_html(checked), path


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node
