"""The project's locustfile: the only module that imports locust (it patches the whole
process with gevent, so it runs in locust's own subprocess, started by `sim run`).

It reads a load spec written by `sim run` (SIM_LOAD_SPEC: JSON with the phases, users,
think time, seeded user ids and the admin URL) and writes every request's latency at full
precision to SIM_SAMPLES_OUT when the test ends, because locust's own percentiles are
rounded. With `--processes N` the workers ship their samples to the master in their
regular reports, and the master writes the file.

With the web UI (`sim ui`) it also adds the Resilience tabs and the fault controls
(scenarios/web_tab.py), and the scenario and policy dropdowns of the start form: pressing
Start asks `sim ui` (the spec's `ui.control_url`) to switch the simulator to the choice,
and the new load spec replaces SPEC here and, by message, on every worker.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import urllib.error
import urllib.request
from typing import Any

from locust import LoadTestShape, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.runners import MasterRunner, WorkerRunner

from scenarios.degraded import DEFAULT_RULE, is_degraded

OUTCOMES = {"complete": 0, "degraded": 1, "failed": 2}
# samples.json keeps every request at full precision, up to this many (about 60 MB of
# JSON, 150 MB in this process): beyond it requests are counted, not kept, and the report
# says so. At 300 requests/s that is 55 minutes.
MAX_SAMPLES = 1_000_000


def _load_spec() -> dict[str, Any]:
    path = os.environ.get("SIM_LOAD_SPEC")
    if not path:  # e.g. `locust -f` by hand without sim: one steady phase
        return {"phases": [{"name": "steady", "duration": 60, "users": 10, "spawn_rate": 10}],
                "think": [0.05, 0.1], "users": 100, "seed": 0, "admin_url": None}
    with open(path) as handle:
        spec: dict[str, Any] = json.load(handle)
    return spec


SPEC = _load_spec()
# [epoch seconds, latency ms, status, outcome, critical ms, side (0, or 1 for B in sim ab)]
_samples: list[list[float]] = []
_received: list[list[float]] = []  # on the master: what the workers sent
_state: dict[str, Any] = {"armed_at": None, "workers": set(), "dropped": 0}
SPEC_MESSAGE = "sim_spec"


def critical_path_ms(server_timing: str) -> float:
    """Downstream time on the critical path from the BFF's Server-Timing header: the
    slowest catalogue call plus the slowest inventory call (they run in two stages)."""
    catalogue = inventory = 0.0
    for entry in server_timing.split(","):
        name, _, rest = entry.strip().partition(";")
        duration = 0.0
        for part in rest.split(";"):
            key, _, value = part.partition("=")
            if key.strip() == "dur":
                try:
                    duration = float(value)
                except ValueError:
                    duration = 0.0
        if name.startswith("inventory"):
            inventory = max(inventory, duration)
        elif name:
            catalogue = max(catalogue, duration)
    return catalogue + inventory


_user_index = [itertools.count()]  # restarted with each test (`sim ui` runs several)


def user_rng(seed: int, worker: int) -> random.Random:
    """Every random choice of a user (its user ids and think times) comes from here: the
    run's seed (from the load spec), the worker's index and the user's index in the order
    users were started, so the same seed sends the same sequence from each user."""
    return random.Random(f"{seed}:user:{worker}:{next(_user_index[0])}")


@events.test_start.add_listener
def restart_user_numbering(**_: Any) -> None:
    _user_index[0] = itertools.count()


class StorefrontUser(FastHttpUser):
    """A shopper opening the storefront page, which calls the BFF's /products/all."""

    def on_start(self) -> None:
        self._rng = user_rng(SPEC.get("seed", 0), getattr(self.environment.runner,
                                                          "worker_index", 0))
        low, high = SPEC.get("think", [0.05, 0.1])
        self._think = (float(low), float(high))

    def wait_time(self) -> float:
        low, high = self._think
        return low if high <= low else self._rng.uniform(low, high)

    @task
    def storefront(self) -> None:
        user = self._rng.randint(1, max(1, int(SPEC.get("users", 100))))
        # `sim ab`: every request goes to A or B at random, so whatever slows this
        # process or the machine at that moment slows both alike.
        targets = SPEC.get("ab_targets")
        side = self._rng.randrange(len(targets)) if targets else 0
        path = f"{targets[side]}/products/all" if targets else "/products/all"
        started = time.time()
        with self.client.get(path, headers={"X-User-Id": str(user)},
                             name=f"/products/all [{'AB'[side]}]" if targets else
                             "/products/all", catch_response=True) as response:
            latency_ms = (time.time() - started) * 1000
            status = response.status_code or 0
            outcome = "failed"
            if status == 200:
                try:
                    body = response.json()
                    if not isinstance(body, dict):
                        raise ValueError("not a JSON object")
                    # The scenario's rule (docs/scenarios.md#degraded): any BFF's shape.
                    rule = SPEC.get("degraded") or DEFAULT_RULE
                    outcome = "degraded" if is_degraded(body, rule) else "complete"
                    response.success()
                except ValueError:
                    response.failure("200 with a body that is not the BFF's JSON")
            else:
                response.failure(f"status {status}")
            if not SPEC.get("collect_samples", True):
                return  # `sim ui` writes no report: a long session must not grow memory
            if len(_samples) >= MAX_SAMPLES:
                _state["dropped"] += 1
                return
            timing = response.headers.get("Server-Timing", "") if response.headers else ""
            _samples.append([started, latency_ms, status, OUTCOMES[outcome],
                             critical_path_ms(timing), side])


class PhasesShape(LoadTestShape):
    """Users and spawn rate phase by phase, as the scenario says; stop after the last."""

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        for phase in SPEC["phases"]:
            if elapsed < phase["duration"]:
                return int(phase["users"]), float(phase["spawn_rate"])
            elapsed -= phase["duration"]
        return None


def _auth() -> dict[str, str]:
    token = os.environ.get("SIM_ADMIN_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


@events.test_start.add_listener
def arm_timeline(environment: Any, **_: Any) -> None:
    """Start the simulator's phases with the load: every (re)start re-arms them."""
    if isinstance(environment.runner, WorkerRunner):
        return
    _samples.clear()
    _received.clear()
    _state["dropped"] = 0
    for admin in SPEC.get("admin_urls") or [SPEC.get("admin_url")]:
        if not admin:
            continue
        request = urllib.request.Request(f"{admin}/timeline/start", method="POST", data=b"",
                                         headers=_auth())
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
    _state["armed_at"] = time.time()
    if isinstance(environment.runner, MasterRunner):
        # Workers on other machines (`sim worker`) have no spec file: they get this one
        # before their first spawn message (same socket, sent first).
        environment.runner.send_message(SPEC_MESSAGE, SPEC)


def _replace_spec(new: dict[str, Any]) -> None:
    SPEC.clear()  # in place: PhasesShape and the users read the module's SPEC
    SPEC.update(new)


@events.init_command_line_parser.add_listener
def ui_options(parser: Any) -> None:
    """The scenario and policy dropdowns of the web UI's start form (`sim ui` only)."""
    ui = SPEC.get("ui")
    if not ui:
        return
    parser.add_argument("--sim-scenario", choices=ui["scenarios"], default=ui["scenario"],
                        include_in_web_ui=True, help="scenario: faults, phases and load")
    parser.add_argument("--sim-policy", choices=ui["policies"], default=ui["policy"],
                        include_in_web_ui=True, help="BFF policy preset")


@events.init.add_listener
def extend_web_ui(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(
            SPEC_MESSAGE, lambda msg, **__: _replace_spec(msg.data))
        return
    web_ui = environment.web_ui
    if web_ui is None or not SPEC.get("admin_url"):
        return
    from flask import jsonify, request

    from scenarios.web_tab import Admin, install

    install(web_ui, Admin(SPEC["admin_url"], os.environ.get("SIM_ADMIN_TOKEN")))
    ui = SPEC.get("ui")
    if not ui:
        return

    @web_ui.app.before_request
    def choose_scenario() -> Any:
        """Before locust starts a test from the form, switch the simulator to the chosen
        scenario and policy, so the first tick of the shape already has their phases."""
        if request.method != "POST" or not request.path.endswith("/swarm"):
            return None
        if environment.runner.state in ("running", "spawning"):
            return None  # an edit of a running test: keep what runs
        choice = {"scenario": request.form.get("sim_scenario", ui["scenario"]),
                  "policy": request.form.get("sim_policy", ui["policy"])}
        post = urllib.request.Request(f"{ui['control_url']}/select", method="POST",
                                      data=json.dumps(choice).encode(),
                                      headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(post, timeout=30) as answer:
                _replace_spec(json.load(answer))
        except urllib.error.HTTPError as exc:
            message = json.loads(exc.read() or b"{}").get("error", str(exc))
            return jsonify({"success": False, "message": message, "host": environment.host})
        except OSError as exc:
            return jsonify({"success": False, "message": f"sim ui unreachable: {exc}",
                            "host": environment.host})
        return None


@events.report_to_master.add_listener
def ship_samples(client_id: str, data: dict[str, Any]) -> None:
    data["sim_samples"] = _samples[:]
    data["sim_dropped"] = _state["dropped"]
    _state["dropped"] = 0
    _samples.clear()


@events.worker_report.add_listener
def collect_samples(client_id: str, data: dict[str, Any]) -> None:
    _state["workers"].add(client_id)
    room = MAX_SAMPLES - len(_received)
    rows = data.get("sim_samples", ())
    _received.extend(rows[:max(room, 0)])
    _state["dropped"] += data.get("sim_dropped", 0) + max(len(rows) - max(room, 0), 0)


@events.quitting.add_listener
def write_samples(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    out = os.environ.get("SIM_SAMPLES_OUT")
    if not out:
        return
    samples = _received + _samples if isinstance(environment.runner, MasterRunner) \
        else _samples
    payload = {"armed_at": _state["armed_at"], "workers": len(_state["workers"]) or 1,
               "samples": samples, "dropped": _state["dropped"]}
    tmp = f"{out}.tmp"
    with open(tmp, "w") as handle:
        json.dump(payload, handle)
    os.replace(tmp, out)  # atomic: a reader never sees half a file
