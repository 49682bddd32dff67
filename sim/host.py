"""The sim host: the four services, their data, faults, ledger and admin API in one loop."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from sim import DEFAULT_PORTS, SERVICES
from sim.admin import create_admin_app
from sim.control import FaultControl
from sim.errors import ConfigError
from sim.ledger import Ledger
from sim.listener import Listener, Port
from sim.metrics import Gauges
from sim.plan import FaultPlan
from sim.ports import PortKeeper
from sim.services import inventory, products, user_items
from sim.services.db import Catalogue, create_databases
from sim.services.runtime import Route, ServiceRuntime
from sim.services.server import ServiceListener


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class HostConfig:
    host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    seed: int = 0
    products: int = 10
    users: int = 100
    data_dir: Path | None = None
    only: tuple[str, ...] = SERVICES
    admin: bool = True
    admin_host: str = "127.0.0.1"
    admin_token: str | None = None
    plan: FaultPlan = field(default_factory=FaultPlan)
    arm: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.products <= 100_000:
            raise ConfigError("--products", f"must be in [1, 100000], got {self.products}")
        if not 0 <= self.users <= 1_000_000:
            raise ConfigError("--users", f"must be in [0, 1000000], got {self.users}")
        for name, port in self.ports.items():
            if not 0 <= port <= 65535:
                raise ConfigError(f"--{name}-port", f"must be in [0, 65535] (0 = any free "
                                                    f"port), got {port}")
        for service in self.only:
            if service not in SERVICES:
                raise ConfigError("--only", f"unknown service {service!r}; allowed: "
                                            f"{', '.join(SERVICES)}")
        if self.admin and not is_loopback(self.admin_host) and not self.admin_token:
            raise ConfigError("--admin-host", f"{self.admin_host} is not loopback: the admin "
                                              "API can change faults, so set --admin-token")

    def port(self, name: str) -> int:
        return self.ports.get(name, DEFAULT_PORTS[name])


class SimHost:
    """Start with `async with SimHost(config) as host:`; `host.urls` says where things are."""

    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.listeners: dict[str, Port] = {}
        self.state_sections: dict[str, Callable[[], Any]] = {}
        self.gauge_providers: list[Callable[[], Gauges]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._own_data_dir: Path | None = None
        self._ledger: Ledger | None = None
        self._control: FaultControl | None = None
        self._ports: PortKeeper | None = None

    @property
    def ledger(self) -> Ledger:
        assert self._ledger is not None, "host not started"
        return self._ledger

    @property
    def control(self) -> FaultControl:
        assert self._control is not None, "host not started"
        return self._control

    @property
    def ports(self) -> PortKeeper:
        assert self._ports is not None, "host not started"
        return self._ports

    @property
    def urls(self) -> dict[str, str]:
        return {name: listener.url for name, listener in self.listeners.items()}

    @property
    def seed(self) -> int:
        return self.config.seed

    async def __aenter__(self) -> SimHost:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        config = self.config
        self._ledger = Ledger(loop.time)
        self._control = FaultControl(config.plan, config.seed, self._ledger, loop)
        data_dir = config.data_dir
        if data_dir is None:
            data_dir = self._own_data_dir = Path(tempfile.mkdtemp(prefix="bff-sim-"))
        catalogue = Catalogue.generate(config.seed, config.products, config.users)
        self.catalogue = catalogue
        paths = await create_databases(data_dir, catalogue)
        self._ports = PortKeeper(self.listeners, self.control, self.ledger)
        try:
            wanted = [service for service in SERVICES if service in config.only]
            routes = await asyncio.gather(*(self._load_route(s, paths) for s in wanted))
            for service, route in zip(wanted, routes, strict=True):
                runtime = ServiceRuntime(service, self.control, self.ledger, route)
                await self._start(ServiceListener(runtime, config.host, config.port(service)))
            if config.admin:
                await self.add_listener("admin", create_admin_app(self), config.admin_host,
                                        config.port("admin"))
        except BaseException:
            await self.stop()
            raise
        self.control.on_change(self._schedule_port_sync)
        await self.sync_ports()
        if config.arm:
            self.control.arm()

    async def _load_route(self, service: str, paths: Mapping[str, Path]) -> Route:
        """A service's data, read from its SQLite file into memory."""
        if service == "inventory":
            return inventory.route(self.config.seed)
        if service == "products":
            return await products.load(paths["products"])
        return await user_items.load(service, paths[service])

    async def _start(self, listener: Port) -> None:
        self.listeners[listener.name] = listener
        await listener.start()

    async def add_listener(self, name: str, app: web.Application, host: str,
                           port: int) -> Listener:
        listener = Listener(name, app, host, port)
        await self._start(listener)
        return listener

    def _schedule_port_sync(self) -> None:
        task = asyncio.get_running_loop().create_task(self.sync_ports())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def sync_ports(self) -> None:
        """Close the port of every service under a `down` fault; reopen the others."""
        await self.ports.sync()

    async def stop(self) -> None:
        if self._control is not None:
            self._control.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._ports is not None:
            self._ports.stop()
        # Stop in reverse: the BFF and admin before the services they call.
        for listener in reversed(list(self.listeners.values())):
            await listener.stop()
        if self._own_data_dir is not None:
            shutil.rmtree(self._own_data_dir, ignore_errors=True)
            self._own_data_dir = None

    def gauges(self) -> Gauges:
        listening: dict[tuple[str, ...], float] = {(s,): float(self.listeners[s].listening)
                     for s in SERVICES if s in self.listeners}
        position = self.control.timeline.position()
        phases: dict[tuple[str, ...], float] = {
            (p.name,): float(p.name == position.phase) for p in self.config.plan.phases}
        gauges: Gauges = {"sim_service_listening": listening, "sim_phase_info": phases,
                          "sim_asyncio_tasks": {(): float(len(asyncio.all_tasks()))}}
        for provider in self.gauge_providers:
            gauges.update(provider())
        return gauges
