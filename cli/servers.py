"""The servers: `sim serve` (simulator + BFF), `sim fault` (its admin API), `sim ui` (with
locust's web UI) and `sim worker` (extra locust workers for a `sim ui` elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import (
    ADMIN_URL,
    console,
    port_option,
    user_errors,
    warn_token_on_command_line,
)
from sim import DEFAULT_PORTS, SERVICES, aio
from sim.errors import ConfigError
from sim.options import MAX_PROCESSES, check_data_dir, check_out_file, check_ports, check_range


def serve(
    host: Annotated[str, typer.Option(help="address the services and BFF bind")] = "127.0.0.1",
    seed: Annotated[int | None, typer.Option(help="seed for data and fault decisions",
                                             min=0, max=2**63 - 1)] = None,
    products: Annotated[int, typer.Option(help="products in the catalogue")] = 10,
    users: Annotated[int, typer.Option(help="users with generated carts and favorites")] = 100,
    faults: Annotated[Path | None, typer.Option(help="TOML fault plan")] = None,
    only: Annotated[list[str] | None, typer.Option(
        help=f"serve only this service (repeatable): {', '.join(SERVICES)}")] = None,
    arm: Annotated[bool, typer.Option(help="start the plan's phase timeline at once")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="keep the SQLite files here")] = None,
    admin_host: Annotated[str, typer.Option(help="address the admin API binds")] = "127.0.0.1",
    admin_token: Annotated[str | None, typer.Option(
        envvar="SIM_ADMIN_TOKEN", help="Bearer token the admin API requires")] = None,
    ready_file: Annotated[Path | None, typer.Option(
        help="write the listening URLs as JSON here once ready")] = None,
    products_port: Annotated[int, port_option("products")] = DEFAULT_PORTS["products"],
    inventory_port: Annotated[int, port_option("inventory")] = DEFAULT_PORTS["inventory"],
    favorites_port: Annotated[int, port_option("favorites")] = DEFAULT_PORTS["favorites"],
    cart_port: Annotated[int, port_option("cart")] = DEFAULT_PORTS["cart"],
    admin_port: Annotated[int, port_option("admin")] = DEFAULT_PORTS["admin"],
    bff_port: Annotated[int, port_option("bff")] = DEFAULT_PORTS["bff"],
    policy: Annotated[str, typer.Option(
        help="BFF policy: naive, book, book-retry, resilient, or a policy .toml")] = "resilient",
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a policy knob: inventory.retry.max_attempts=2")] = None,
    bff: Annotated[bool, typer.Option(help="serve the BFF (--no-bff: bring your own)")] = True,
) -> None:
    """Run the simulated services, the BFF and the admin API until Ctrl-C or SIGTERM."""
    from bff.app import attach_bff
    from bff.overrides import resolve_policy
    from sim.host import HostConfig
    from sim.plan import FaultPlan, load_fault_plan
    from sim.serving import serve as serve_forever
    from sim.views import listeners_table

    with user_errors():
        check_ports(products_port=products_port, inventory_port=inventory_port,
                    favorites_port=favorites_port, cart_port=cart_port,
                    admin_port=admin_port, bff_port=bff_port)
        check_out_file("--ready-file", ready_file)
        check_data_dir(data_dir)
        warn_token_on_command_line("--admin-token", admin_token)
        policy_set = resolve_policy(policy, set_)
        plan = load_fault_plan(faults) if faults else FaultPlan()
        config = HostConfig(
            host=host, seed=seed if seed is not None else (plan.seed or 0), products=products,
            users=users, data_dir=data_dir, only=tuple(only) if only else SERVICES,
            admin_host=admin_host, admin_token=admin_token, plan=plan, arm=arm,
            ports={"products": products_port, "inventory": inventory_port,
                   "favorites": favorites_port, "cart": cart_port, "admin": admin_port},
        )

        def ready(sim_host: Any) -> None:
            console.print(listeners_table(sim_host.urls, sim_host.control.snapshot()))
            console.print(f"seed {sim_host.seed} · policy {policy_set.name if bff else '-'} · "
                          f"loop {aio.loop_name()} · Ctrl-C to stop")

        async def with_bff(sim_host: Any) -> None:
            if bff and not only:  # --only serves a part: the BFF needs all four
                await attach_bff(sim_host, policy_set, bff_port)

        signal_name = aio.run(serve_forever(config, ready, ready_file, with_bff))
        console.print(f"stopped ({signal_name})")


def fault(
    service: Annotated[str, typer.Argument(help=f"one of {', '.join(SERVICES)}")],
    latency: Annotated[str | None, typer.Option(
        help='fixed "300ms" or uniform "100ms..2s"')] = None,
    jitter: Annotated[str | None, typer.Option(help="+- jitter added to latency")] = None,
    error_rate: Annotated[float | None, typer.Option(help="probability of an error")] = None,
    status: Annotated[int, typer.Option(help="status of injected errors")] = 503,
    retry_after: Annotated[str | None, typer.Option(help="Retry-After on errors")] = None,
    reset: Annotated[float | None, typer.Option(help="probability of a reset")] = None,
    hang: Annotated[float | None, typer.Option(help="probability of never answering")] = None,
    malformed: Annotated[float | None, typer.Option(help="probability of bad JSON")] = None,
    slow_body: Annotated[str | None, typer.Option(help="dribble the body over this")] = None,
    fail_first: Annotated[int | None, typer.Option(help="fail the first N per key")] = None,
    down: Annotated[bool, typer.Option(help="refuse connections")] = False,
    clear: Annotated[bool, typer.Option(help="remove admin faults (back to the plan)")] = False,
    admin: Annotated[str, typer.Option(help="admin API URL")] = ADMIN_URL,
    token: Annotated[str | None, typer.Option(
        envvar="SIM_ADMIN_TOKEN", help="admin token (prefer the variable: `ps` shows options)"
    )] = None,
    wait: Annotated[str, typer.Option(help="how long to wait for the admin API")] = "10s",
) -> None:
    """Change a running simulator's faults for SERVICE through the admin API."""
    from sim.admin_client import admin_request, fault_specs
    from sim.durations import parse_duration
    from sim.views import faults_table

    with user_errors():
        if service not in SERVICES:
            raise ConfigError("SERVICE", f"unknown service {service!r}; allowed: "
                                         f"{', '.join(SERVICES)}")
        specs = fault_specs(latency=latency, jitter=jitter, error_rate=error_rate,
                            status=status, retry_after=retry_after, reset=reset, hang=hang,
                            malformed=malformed, slow_body=slow_body, fail_first=fail_first,
                            down=down)
        if clear and specs:
            raise ConfigError("--clear", "cannot be combined with fault options")
        if not clear and not specs:
            raise ConfigError("options", "give at least one fault option, or --clear")
        warn_token_on_command_line("--token", token)
        timeout = parse_duration(wait, "--wait")
        method, body = ("DELETE", None) if clear else ("PUT", specs)
        aio.run(admin_request(admin, method, f"/faults/{service}", token, body, timeout))
        snapshot = aio.run(admin_request(admin, "GET", "/faults", token, wait=timeout))
        console.print(faults_table(snapshot))


def ui(
    scenario: Annotated[str, typer.Option(help="built-in name or a scenario .toml "
                                               "(preselected; others are in the form)")],
    web_port: Annotated[int, typer.Option(help="locust web UI port (0 = any free)")] = 8089,
    policy: Annotated[str | None, typer.Option(
        help="preselected preset: naive, book, book-retry, resilient")] = None,
    duration: Annotated[str | None, typer.Option(
        help="shorten or stretch every scenario's phases to this total, e.g. 30s")] = None,
    processes: Annotated[int, typer.Option(
        help="locust worker processes (0 = one process; -1 = one per CPU)")] = 0,
    bind: Annotated[str, typer.Option(
        help="address the services and BFF bind (remote workers need a reachable one)")
                    ] = "127.0.0.1",
    free_ports: Annotated[bool, typer.Option(
        help="the simulator on free ports instead of 8000-8003, 9000, 9001")] = False,
    master_port: Annotated[int, typer.Option(
        help="locust master port for workers (with --processes)")] = 5557,
    ready_file: Annotated[Path | None, typer.Option(
        help="write the listening URLs as JSON here once ready")] = None,
) -> None:
    """The simulator and BFF with locust's web UI: a Resilience tab and fault controls."""
    from scenarios.ui import UiOptions, run_ui
    from sim.durations import parse_duration

    with user_errors():
        check_range("--processes", processes, -1, MAX_PROCESSES)
        check_ports(web_port=web_port, master_port=master_port)
        check_out_file("--ready-file", ready_file)
        total = parse_duration(duration, "--duration") if duration is not None else None
        options = UiOptions(scenario, policy, total, web_port, processes, free_ports,
                            ready_file, bind, master_port)
        raise typer.Exit(aio.run(run_ui(options, console)))


def worker(
    master_host: Annotated[str, typer.Option(help="the machine running sim ui / sim run")],
    master_port: Annotated[int, typer.Option(help="locust master port")] = 5557,
    processes: Annotated[int, typer.Option(
        help="worker processes on this machine (0 = one; -1 = one per CPU)")] = 0,
) -> None:
    """Extra locust workers on this machine for a `sim ui` master elsewhere."""
    from scenarios.ui import run_worker

    with user_errors():
        check_range("--master-port", master_port, 1, 65535)
        check_range("--processes", processes, -1, MAX_PROCESSES)
        run_worker(master_host, master_port, processes)

