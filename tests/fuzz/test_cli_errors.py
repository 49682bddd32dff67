"""Bad command-line values: exit 2 and one line on stderr, `error: <option>: ...`, never a
traceback, never a server on a wrapped port. Each case was a traceback, a hang or
silently accepted before; the properties run the real Typer app in-process (fast) and
the regressions run the real `sim` console script."""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli import app
from reports.history import _SCHEMA
from tests.cli_helpers import ALL_FREE, run_sim

RUNNER = CliRunner()


def assert_one_line(result: object, expected: str) -> None:
    returncode = getattr(result, "returncode", getattr(result, "exit_code", None))
    stderr: str = result.stderr
    assert returncode == 2, stderr
    lines = [line for line in stderr.splitlines() if not line.startswith("warning:")]
    assert lines == [f"error: {expected}"], stderr


def invoke(*args: str) -> object:
    return RUNNER.invoke(app, list(args), env={"COLUMNS": "300", "NO_COLOR": "1"})


# -- durations need a unit ------------------------------------------------------------

@pytest.mark.parametrize(("args", "expected"), [
    (("fault", "inventory", "--latency", "300"),
     "--latency: '300' has no unit; did you mean 300ms or 300s?"),
    (("fault", "inventory", "--latency", "100..2s"),
     "--latency: '100' has no unit; did you mean 100ms or 100s?"),
    (("fault", "inventory", "--latency", "1ms", "--jitter", "1e308"),
     "--jitter: expected a non-negative duration with a unit, such as \"250ms\", \"2s\" or "
     "\"1m\", got '1e308'"),
    (("run", "--scenario", "baseline", "--duration", "30"),
     "--duration: '30' has no unit; did you mean 30ms or 30s?"),
    (("run", "--scenario", "baseline", "--duration", "25h"),
     "--duration: must be at most 1 day (24h), got '25h'"),
])
def test_durations_without_a_unit_or_past_a_day(args: tuple[str, ...], expected: str) -> None:
    assert_one_line(invoke(*args), expected)


# -- bounds ----------------------------------------------------------------------------

PORTS = ["--products-port", "--inventory-port", "--favorites-port", "--cart-port",
         "--admin-port", "--bff-port"]


@settings(max_examples=40, deadline=None)
@given(option=st.sampled_from(PORTS), port=st.integers(65536, 2**40) | st.integers(-2**40, -1))
def test_every_serve_port_is_range_checked(option: str, port: int) -> None:
    assert_one_line(invoke("serve", option, str(port)),
                    f"{option}: must be from 0 to 65,535, got {port:,}")


@settings(max_examples=20, deadline=None)
@given(option=st.sampled_from(["--web-port", "--master-port"]), port=st.integers(65536, 2**40))
def test_ui_ports_are_range_checked(option: str, port: int) -> None:
    assert_one_line(invoke("ui", "--scenario", "baseline", option, str(port)),
                    f"{option}: must be from 0 to 65,535, got {port:,}")


@settings(max_examples=20, deadline=None)
@given(users=st.integers(100_001, 2**62) | st.integers(-2**62, 0))
def test_run_users_are_bounded(users: int) -> None:
    assert_one_line(invoke("run", "--scenario", "baseline", "--users", str(users)),
                    f"--users: must be from 1 to 100,000, got {users:,}")


@settings(max_examples=20, deadline=None)
@given(limit=st.integers(100_001, 2**62) | st.integers(-2**62, 0))
def test_history_limit_is_bounded(limit: int) -> None:
    assert_one_line(invoke("history", "--limit", str(limit)),
                    f"--limit: must be from 1 to 100,000, got {limit:,}")


@pytest.mark.parametrize("args", [("run", "--scenario", "baseline", "--processes", "257"),
                                  ("ui", "--scenario", "baseline", "--processes", "-2"),
                                  ("worker", "--master-host", "x", "--processes", "10000")])
def test_processes_are_bounded(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert_one_line(result, f"--processes: must be from {'0' if args[0] == 'run' else '-1'} "
                            f"to 256, got {int(args[-1]):,}")


def test_a_huge_deadline_is_refused_before_serving() -> None:
    # It used to start serving, and every answer was a 500 (the deadline overflowed).
    result = run_sim("serve", *ALL_FREE, "--set", "deadline=1e306", timeout=20)
    assert_one_line(result, "--set deadline: 1e+306 has no unit; durations take one, such as "
                            "300ms, and are at most 1 day")
    result = run_sim("serve", *ALL_FREE, "--set", "deadline=2000h", timeout=20)
    assert_one_line(result, "--set deadline: must be at most 1 day (24h), got '2000h'")


# -- typer's own usage errors: one line too, for every command ------------------------

RUN_OPTIONS = ("--admin-port, --baseline, --bff-port, --cart-port, --duration, --favorites-port, "
               "--force, --help, --inventory-port, --no-force, --out, --policy, --ports-file, "
               "--processes, --products-port, --scenario, --seed, --set, --target, "
               "--target-wait, --users")


@pytest.mark.parametrize(("args", "expected"), [
    (("run", "--scenario", "baseline", "--users", "x"), "sim run: --users: 'x' is not a whole "
                                                         "number"),
    (("history", "--limit", "1.5"), "sim history: --limit: '1.5' is not a whole number"),
    (("run", "--scenario", "baseline", "--bogus"),
     f"sim run: --bogus: no such option; options: {RUN_OPTIONS}"),
    (("run", "--scenario", "baseline", "--user", "3"),
     "sim run: --user: no such option; did you mean --users?"),
    (("run",), "sim run: --scenario: is required (built-in name or a scenario .toml)"),
    (("run", "--scenario", "baseline", "--duration"),
     "sim run: --duration: needs a value (shorten or stretch the phases to this total, e.g. "
     "30s)"),
    (("run", "--scenario", "baseline", "--force=yes"), "sim run: --force: is a flag and takes "
                                                      "no value"),
    (("run", "--scenario", "baseline", "--bff-port", "70000"),
     "sim run: --bff-port: must be from 0 to 65,535, got 70,000"),
    (("serve", "--seed", "x"), "sim serve: --seed: 'x' is not a whole number"),  # fast path
    (("serve", "--seed", "-1"),
     "sim serve: --seed: must be from 0 to 9,223,372,036,854,775,807, got -1"),
    (("serve", "extra"), "sim serve: usage: got unexpected extra argument(s) (extra); see "
                         "'sim serve --help'"),
    (("fault",), "sim fault: SERVICE: is required (one of products, inventory, favorites, "
                 "cart)"),
    (("bogus",), "sim: COMMAND: no such command 'bogus'; commands: ab, compare, fault, history, "
                 "report, run, scenarios, serve, smoke, ui, worker"),
    (("serv",), "sim: COMMAND: no such command 'serv'; did you mean serve?"),
    (("scenarios", "bogus"), "sim scenarios: COMMAND: no such command 'bogus'; commands: list, "
                             "schema, show, validate"),
    (("scenarios", "show"), "sim scenarios show: NAME: is required (built-in name or .toml)"),
    (("--bogus",), "sim: --bogus: no such option; options: --help"),
])
def test_typer_usage_errors_are_one_line(args: tuple[str, ...], expected: str) -> None:
    # These printed typer's box (usage, a hint, a framed message: 6 lines or more).
    result = run_sim(*args, timeout=20)
    assert_one_line(result, expected)
    assert result.stdout == ""


def test_help_is_still_typers() -> None:
    result = run_sim("run", "--help", timeout=20)
    assert (result.returncode, result.stderr) == (0, "")
    assert "Usage: sim run [OPTIONS]" in result.stdout
    assert "--users" in result.stdout and "╭─ Options" in result.stdout
    bare = run_sim("scenarios", timeout=20)  # no command: the help, and exit 2 as before
    assert bare.returncode == 2
    assert "Usage: sim scenarios [OPTIONS] COMMAND [ARGS]..." in bare.stdout + bare.stderr


# -- paths -----------------------------------------------------------------------------

def test_a_ready_file_in_a_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "missing" / "ready.json"
    for command in (("serve", *ALL_FREE), ("ui", "--scenario", "baseline", "--free-ports")):
        assert_one_line(run_sim(*command, "--ready-file", str(missing), timeout=20),
                        f"--ready-file: directory {missing.parent} does not exist")


def test_a_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_sim("serve", *ALL_FREE, "--data-dir", str(blocker / "data"), timeout=20)
    assert_one_line(result, f"--data-dir: cannot create {blocker / 'data'} (Not a directory)")


def test_toml_nested_5000_deep(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    expected = f"{deep}: toml: nested too deeply to read"
    assert_one_line(run_sim("scenarios", "validate", str(deep)), expected)
    assert_one_line(invoke("serve", "--faults", str(deep)), expected)
    assert_one_line(invoke("serve", "--policy", str(deep)), expected)


# -- history ---------------------------------------------------------------------------

def test_a_corrupt_history_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".sim").mkdir()
    (tmp_path / ".sim" / "history.db").write_bytes(b"not a database" * 100)
    result = run_sim_in(tmp_path, "history")
    assert_one_line(result, ".sim/history.db: history: cannot use the run history (file is "
                            "not a database); move the file away to start a new history")


def test_a_huge_history_limit_on_a_real_history(tmp_path: Path) -> None:
    (tmp_path / ".sim").mkdir()
    with sqlite3.connect(tmp_path / ".sim" / "history.db") as db:
        db.execute(_SCHEMA)
    # Before the bound, sqlite raised OverflowError (a traceback) for this limit.
    result = run_sim_in(tmp_path, "history", "--limit", "100000000000000000000")
    assert_one_line(result, "--limit: must be from 1 to 100,000, got "
                            "100,000,000,000,000,000,000")
    assert run_sim_in(tmp_path, "history", "--limit", "5").returncode == 0


def run_sim_in(cwd: Path, *args: str) -> object:
    import os
    import subprocess

    from tests.cli_helpers import SIM

    return subprocess.run([SIM, *args], cwd=cwd, capture_output=True, text=True, timeout=30,
                          env={**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}, check=False)


# -- sim fault against an admin API that never answers ---------------------------------

@pytest.fixture
def silent_admin() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def test_sim_fault_against_an_admin_that_never_answers(silent_admin: str) -> None:
    result = run_sim("fault", "cart", "--latency", "300ms", "--admin", silent_admin,
                     "--wait", "500ms", timeout=20)
    assert_one_line(result, f"the admin API at {silent_admin} did not answer within 500ms; "
                            "is --admin the simulator's admin port?")


def test_a_token_option_warns_that_ps_shows_it(silent_admin: str) -> None:
    result = run_sim("fault", "cart", "--down", "--admin", silent_admin, "--wait", "200ms",
                     "--token", "visible", timeout=20)
    assert result.stderr.splitlines()[0] == ("warning: --token is visible to other users in "
                                             "`ps`; set SIM_ADMIN_TOKEN in the environment "
                                             "instead")
