"""`sim ui`: the simulator and BFF in this process, locust's web UI in a subprocess.

The scenario and policy are chosen in locust's start form; pressing Start makes the
locustfile POST the choice to a small control endpoint here, which (if the choice
changed) replaces the simulator with a fresh one on the same ports, so counters and
breakers start clean, and answers with the new load spec. Ctrl-C stops locust (as a
process group) and the simulator: nothing is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from rich.console import Console

from bff.app import attach_bff
from bff.policyset import PRESETS, PolicySet, preset
from reports.files import write_text_atomic
from scenarios.loader import builtin_names, load_scenario
from scenarios.locust_process import LocustFiles, LocustProcess, locust_worker_command
from scenarios.model import Scenario
from scenarios.run import FREE, load_spec
from sim import DEFAULT_PORTS
from sim.admin_guard import BodyError, guard_middleware, json_body, own_origins
from sim.errors import ConfigError, PortInUseError, SimError, shown
from sim.host import HostConfig, SimHost
from sim.http_errors import json_errors
from sim.listener import Listener
from sim.views import listeners_table

OWN_POLICY = "scenario"  # the dropdown entry for the policy the scenario file names
READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class UiOptions:
    scenario: str  # a built-in name or a .toml path, as the user gave it
    policy: str | None = None  # a preset; None: the scenario's own
    duration: float | None = None  # stretch or shorten every scenario to this
    web_port: int = 8089
    processes: int = 0
    free_ports: bool = False  # the simulator on free ports instead of the book's
    ready_file: Path | None = None
    bind: str = "127.0.0.1"  # the services and BFF; the admin API stays on loopback
    master_port: int = 5557  # locust's master, for its workers (with processes only)


class Catalogue:
    """The dropdowns' entries and how to load each: the built-ins plus the given file."""

    def __init__(self, given: str, duration: float | None) -> None:
        self.duration = duration
        self.sources = {name: name for name in builtin_names()}
        first = self.load(given)
        self.sources[first.name] = given  # a file under a built-in's name wins
        self.first = first.name

    def load(self, key: str) -> Scenario:
        scenario = load_scenario(self.sources.get(key, key))
        if self.duration is None:
            return scenario
        if self.duration < len(scenario.phases):
            raise ConfigError("--duration", f"must give each of the {len(scenario.phases)} "
                                            f"phases of {scenario.name} at least 1 s")
        return scenario.with_duration(self.duration)

    @staticmethod
    def policy(scenario: Scenario, key: str) -> PolicySet:
        return scenario.policy() if key == OWN_POLICY else preset(key)

    @staticmethod
    def policies() -> list[str]:
        return [OWN_POLICY, *PRESETS]


class Session:
    """The simulator serving the current choice; `select` swaps it for another one."""

    def __init__(self, catalogue: Catalogue, ports: dict[str, int],
                 announce: Callable[[str], None], bind: str = "127.0.0.1") -> None:
        self.catalogue = catalogue
        self.bind = bind
        self.ports = ports
        self.announce = announce
        self.host: SimHost | None = None
        self.choice: tuple[str, str] | None = None
        self.spec: dict[str, Any] = {}
        self.ui: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    async def select(self, scenario_key: str, policy_key: str) -> dict[str, Any]:
        async with self._lock:
            if (scenario_key, policy_key) == self.choice:
                return self.spec
            if scenario_key not in self.catalogue.sources:
                raise ConfigError("sim_scenario", f"unknown scenario {scenario_key!r}")
            if policy_key not in Catalogue.policies():
                raise ConfigError("sim_policy", f"unknown policy {policy_key!r}; allowed: "
                                                f"{', '.join(Catalogue.policies())}")
            scenario = self.catalogue.load(scenario_key)
            policy = Catalogue.policy(scenario, policy_key)
            await self.close()
            host = SimHost(HostConfig(host=self.bind, ports=self.ports, seed=scenario.seed,
                                      plan=scenario.fault_plan()))
            await host.start()
            self.host = host
            try:
                await attach_bff(host, policy, self.ports.get("bff", 0))
            except BaseException:
                await self.close()
                raise
            # A replacement must come back on the same ports: locust and the user's
            # browser and shells already point there.
            self.ports = {name: listener.port for name, listener in host.listeners.items()}
            self.choice = (scenario_key, policy_key)
            self.spec = {**load_spec(scenario, host.urls["admin"], host.catalogue.users,
                                     scenario.seed),
                         "collect_samples": False, "ui": self.ui}
            self.announce(f"{scenario.name} with policy {policy.name}: "
                          f"{len(scenario.phases)} phases, {scenario.duration:g} s")
            return self.spec

    async def close(self) -> None:
        if self.host is not None:
            host, self.host, self.choice = self.host, None, None
            await host.stop()


def control_app(session: Session, origins: Callable[[], frozenset[str]]) -> web.Application:
    """`POST /select`, from locust's server side only: a page in the user's browser must not
    swap the simulator under a test, so the admin API's guard (Origin, JSON) applies."""

    async def select(request: web.Request) -> web.Response:
        expected = 'expected {"scenario": NAME, "policy": NAME}'
        try:
            body = await json_body(request)
        except BodyError as exc:
            return web.json_response({"error": f"{exc}; {expected}", "field": "body"},
                                     status=400)
        if not isinstance(body, dict) or not {"scenario", "policy"} <= body.keys():
            return web.json_response({"error": f"body: {expected}, got {shown(body)}",
                                      "field": "body"}, status=400)
        try:
            spec = await session.select(str(body["scenario"]), str(body["policy"]))
        except SimError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(spec)

    app = web.Application(middlewares=[json_errors, guard_middleware(origins, check_origin=True)])
    app.router.add_post("/select", select)
    return app


def check_port(option: str, address: str, requested: int) -> int:
    """A port locust will bind, checked before it starts: a clear error instead of its
    traceback. 0 picks a free one (tests)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, requested))
        except OSError as exc:
            raise PortInUseError(option, address or "*", requested,
                                 exc.strerror or str(exc)) from None
        port: int = probe.getsockname()[1]
    return port


def _last_lines(stderr: str, count: int = 3) -> str:
    """The end of locust's stderr (its exception, not the whole traceback)."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:])


async def _until_up(url: str, locust: asyncio.Future[tuple[int, str]]) -> None:
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as client:
        while not locust.done():
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with client.get(url) as answer:
                    if answer.status == 200:
                        return
            if asyncio.get_running_loop().time() > deadline:
                raise SimError(f"locust's web UI did not answer at {url} within "
                               f"{READY_TIMEOUT:g} s")
            await asyncio.sleep(0.2)
    code, stderr = locust.result()
    raise SimError(f"locust exited with code {code} before its web UI was up: "
                   f"{_last_lines(stderr)}")


async def run_ui(options: UiOptions, console: Console) -> int:
    catalogue = Catalogue(options.scenario, options.duration)  # bad input: before anything
    first_policy = options.policy or OWN_POLICY
    if first_policy not in Catalogue.policies():
        raise ConfigError("--policy", f"unknown policy {first_policy!r}; allowed: "
                                      f"{', '.join(PRESETS)}")
    port = check_port("--web-port", "127.0.0.1", options.web_port)
    if options.processes:
        check_port("--master-port", "", options.master_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ports = dict(FREE) if options.free_ports else {**DEFAULT_PORTS}
    session = Session(catalogue, ports, lambda text: console.print(text, style="dim"),
                      options.bind)
    work = Path(tempfile.mkdtemp(prefix="bff-sim-ui-"))
    control = Listener("ui-control", control_app(
        session, lambda: own_origins(control.url, control.port)), "127.0.0.1", 0)
    locust: LocustProcess | None = None
    waiter: asyncio.Future[tuple[int, str]] | None = None
    try:
        await control.start()
        session.ui = {"scenarios": sorted(catalogue.sources), "scenario": catalogue.first,
                      "policies": Catalogue.policies(), "policy": first_policy,
                      "control_url": control.url}
        spec = await session.select(catalogue.first, first_policy)
        assert session.host is not None
        urls = session.host.urls
        locust = LocustProcess(LocustFiles(work), urls["bff"], spec, options.processes,
                               web_port=port, master_port=options.master_port)
        await locust.start()
        waiter = asyncio.ensure_future(locust.wait())
        web_url = f"http://127.0.0.1:{port}"
        await _until_up(web_url, waiter)
        console.print(listeners_table({**urls, "locust web UI": web_url},
                                      session.host.control.snapshot()))
        console.print(f"Open {web_url} and press Start (scenario and policy are in the "
                      f"form's Custom parameters) · Ctrl-C to stop", highlight=False)
        if options.ready_file is not None:  # whole or absent: scripts poll for it
            await asyncio.to_thread(write_text_atomic, options.ready_file,
                                    json.dumps({"urls": {**urls, "web": web_url}}))
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if waiter.done():
            code, stderr = waiter.result()
            raise SimError(f"locust exited with code {code}: {_last_lines(stderr)}")
        console.print("stopping")
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if locust is not None:
            await locust.stop()
            locust.kill_group()
        if waiter is not None:  # it drains locust's stderr; done once locust is gone
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, 5)
        await control.stop()
        await session.close()
        shutil.rmtree(work, ignore_errors=True)


def run_worker(master_host: str, master_port: int, processes: int = 0) -> None:
    """Become a locust worker with the project's locustfile (exec: Ctrl-C reaches locust
    directly, and there is no parent left to orphan it). The master sends the load spec."""
    command = locust_worker_command(master_host, master_port, processes)
    os.execv(command[0], command)
