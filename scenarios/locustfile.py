"""The project's locustfile: the only module that imports locust (it patches the whole
process with gevent, so it runs in locust's own subprocess, started by `sim run`).

It reads a load spec written by `sim run` (SIM_LOAD_SPEC: JSON with the phases, users,
think time, seeded user ids and the admin URL) and writes every request's latency at full
precision to SIM_SAMPLES_OUT when the test ends, because locust's own percentiles are
rounded. With `--processes N` the workers ship their samples to the master in their
regular reports, and the master writes the file.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.request
from typing import Any

from locust import LoadTestShape, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.runners import MasterRunner, WorkerRunner

OUTCOMES = {"complete": 0, "degraded": 1, "failed": 2}


def _load_spec() -> dict[str, Any]:
    path = os.environ.get("SIM_LOAD_SPEC")
    if not path:  # e.g. `locust -f` by hand without sim: one steady phase
        return {"phases": [{"name": "steady", "duration": 60, "users": 10, "spawn_rate": 10}],
                "think": [0.05, 0.1], "users": 100, "seed": 0, "admin_url": None}
    with open(path) as handle:
        spec: dict[str, Any] = json.load(handle)
    return spec


SPEC = _load_spec()
_samples: list[list[float]] = []  # [epoch seconds, latency ms, status, outcome, critical ms]
_received: list[list[float]] = []  # on the master: what the workers sent
_state: dict[str, Any] = {"armed_at": None, "workers": set()}


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


class StorefrontUser(FastHttpUser):
    """A shopper opening the storefront page, which calls the BFF's /products/all."""

    def on_start(self) -> None:
        seed = SPEC.get("seed", 0)
        self._rng = random.Random(f"{seed}:{id(self)}:{time.perf_counter_ns()}")
        low, high = SPEC.get("think", [0.05, 0.1])
        self._think = (float(low), float(high))

    def wait_time(self) -> float:
        low, high = self._think
        return low if high <= low else self._rng.uniform(low, high)

    @task
    def storefront(self) -> None:
        user = self._rng.randint(1, max(1, int(SPEC.get("users", 100))))
        started = time.time()
        with self.client.get("/products/all", headers={"X-User-Id": str(user)},
                             name="/products/all", catch_response=True) as response:
            latency_ms = (time.time() - started) * 1000
            status = response.status_code or 0
            outcome = "failed"
            if status == 200:
                try:
                    body = response.json()
                    outcome = "degraded" if body.get("degraded") else "complete"
                    response.success()
                except (ValueError, AttributeError):
                    response.failure("200 with a body that is not the BFF's JSON")
            else:
                response.failure(f"status {status}")
            timing = response.headers.get("Server-Timing", "") if response.headers else ""
            _samples.append([started, latency_ms, status, OUTCOMES[outcome],
                             critical_path_ms(timing)])


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
    admin = SPEC.get("admin_url")
    if admin:
        request = urllib.request.Request(f"{admin}/timeline/start", method="POST", data=b"",
                                         headers=_auth())
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
    _state["armed_at"] = time.time()


@events.report_to_master.add_listener
def ship_samples(client_id: str, data: dict[str, Any]) -> None:
    data["sim_samples"] = _samples[:]
    _samples.clear()


@events.worker_report.add_listener
def collect_samples(client_id: str, data: dict[str, Any]) -> None:
    _state["workers"].add(client_id)
    _received.extend(data.get("sim_samples", ()))


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
               "samples": samples}
    tmp = f"{out}.tmp"
    with open(tmp, "w") as handle:
        json.dump(payload, handle)
    os.replace(tmp, out)  # atomic: a reader never sees half a file
