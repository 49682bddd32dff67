"""`sim ui` as a process: ready with every URL, Start re-arms, Ctrl-C leaves nothing."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.cli_helpers import SIM, run_sim, running_sim
from tests.ui.test_web_ui import free_port, get_json


def post(url: str, form: dict[str, str]) -> Any:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as answer:
        return json.loads(answer.read())


def armed_state(admin: str, since: float) -> Any:
    """/state once the timeline was (re)armed after `since` (locust arms it in test_start,
    just after the form's request returns)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = get_json(admin + "/state")
        timeline: Any = state["timeline"]
        if timeline["armed"] and timeline["elapsed"] < time.monotonic() - since:
            return state
        time.sleep(0.1)
    raise AssertionError(f"the timeline was not armed: {state}")


def web_processes(port: int) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if f"--web-port {port}" in line]


def test_start_stop_restart_and_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    args = ["ui", "--scenario", "inventory-outage", "--duration", "10s", "--free-ports",
            "--web-port", str(port)]
    with running_sim(args, tmp_path / "ready.json", timeout=40) as (process, urls):
        assert urls["web"] == f"http://127.0.0.1:{port}"
        assert web_processes(port)
        assert get_json(urls["admin"] + "/state")["timeline"]["armed"] is False  # type: ignore[index]
        form = {"user_count": "1", "spawn_rate": "1", "host": urls["bff"],
                "sim_scenario": "inventory-outage", "sim_policy": "book"}
        assert post(urls["web"] + "/swarm", form)["success"] is True
        state = armed_state(urls["admin"], time.monotonic())
        assert state["bff"]["policy"] == "book"  # the form's choice
        time.sleep(2.5)
        post(urls["web"] + "/stop", {})
        post(urls["web"] + "/swarm", form)  # a restart re-arms the phases from the start
        state = armed_state(urls["admin"], time.monotonic())
        assert state["timeline"]["phase"] == "warm-up"
        stats = get_json(urls["web"] + "/stats/requests")
        assert [entry["key"] for entry in stats["extended_stats"]] == [  # type: ignore[union-attr]
            "resilience", "transitions"]
    assert process.returncode == 0
    time.sleep(0.3)
    assert web_processes(port) == []


def test_a_bad_scenario_is_a_usage_error() -> None:
    result = run_sim("ui", "--scenario", "no-such-scenario", "--web-port", "0")
    assert result.returncode == 2
    assert "unknown scenario 'no-such-scenario'" in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_needs_a_master_host() -> None:
    result = subprocess.run([SIM, "worker"], capture_output=True, text=True, timeout=30,
                            check=False)
    assert result.returncode == 2
    assert "--master-host" in result.stderr
