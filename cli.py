"""`sim`: the command line. Thin: parse, call into the packages, map errors to exit codes.

Exit codes: 0 pass, 1 SLO or baseline breach, 2 usage or configuration error, 130 interrupted.
"""

from __future__ import annotations

import os
import sys

if "aiohttp" not in sys.modules:  # aiohttp's CA store read at first use: ~0.1 s at start
    from sim.lazy_tls import install as read_ca_store_at_first_handshake

    read_ca_store_at_first_handshake()

if sys.argv[1:2] in (["run"], ["smoke"], ["ab"]):  # before the slow imports: no signal lost
    from scenarios.interrupt import install

    install()

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from sim import DEFAULT_PORTS, SERVICES, aio
from sim.errors import ConfigError, SimError
from sim.options import (
    MAX_HISTORY,
    MAX_PROCESSES,
    check_data_dir,
    check_out_file,
    check_ports,
    check_range,
)

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate, load-test and gate a BFF whose downstreams misbehave.")
# Piped output (CI logs) gets room for the report tables instead of rich's 80 columns.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)

ADMIN_URL = f"http://127.0.0.1:{DEFAULT_PORTS['admin']}"


@contextmanager
def user_errors() -> Iterator[None]:
    """One clear line and exit 2 for bad input; 130 for Ctrl-C; never a traceback."""
    try:
        yield
    except SimError as exc:
        # The message quotes user input: `[/x]` in a name is text, not rich markup.
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                          soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(130) from None


def warn_token_on_command_line(option: str, token: str | None) -> None:
    """A token given as an option is visible to every user in `ps`; the variable is not."""
    if token is not None and os.environ.get("SIM_ADMIN_TOKEN") != token:
        err_console.print(f"[yellow]warning:[/] {option} is visible to other users in `ps`; "
                          "set SIM_ADMIN_TOKEN in the environment instead", highlight=False)


def _port_option(name: str) -> Any:
    return typer.Option(f"--{name}-port", help=f"{name} port (0 = any free port)",
                        rich_help_panel="Ports")


def _run_port_option(name: str) -> Any:
    text = (f"{name} port (0 = any free port; default: free, or the book's "
            f"{DEFAULT_PORTS[name]} with --target)") if name != "bff" else \
        "our BFF's port (default: any free port; unused with --target)"
    return typer.Option(f"--{name}-port", min=0, max=65535, rich_help_panel="Ports",
                        help=text)


def _ab_port_option(name: str) -> Any:
    return typer.Option(f"--{name}-port", min=0, max=65535, rich_help_panel="Ports",
                        help=f"{name} port, for both targets (0 = any free port, kept for "
                             f"every run; default: the book's {DEFAULT_PORTS[name]}); only "
                             f"with --target-a/--target-b")


TARGET_HELP = "an external BFF's base URL; the simulator serves only the downstreams"
PORTS_FILE_HELP = ("write the simulator's ports and URLs as JSON here once all listen "
                   "(for the BFF under test to read); the run then waits for --target")
WAIT_HELP = "how long an external BFF gets to accept connections, e.g. 30s"
AB_PORTS_FILE_HELP = PORTS_FILE_HELP.replace("--target", "--target-a and --target-b")


def _ports_given(**ports: int | None) -> tuple[tuple[str, int], ...]:
    return tuple((name, port) for name, port in ports.items() if port is not None)


@app.command()
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
    products_port: Annotated[int, _port_option("products")] = DEFAULT_PORTS["products"],
    inventory_port: Annotated[int, _port_option("inventory")] = DEFAULT_PORTS["inventory"],
    favorites_port: Annotated[int, _port_option("favorites")] = DEFAULT_PORTS["favorites"],
    cart_port: Annotated[int, _port_option("cart")] = DEFAULT_PORTS["cart"],
    admin_port: Annotated[int, _port_option("admin")] = DEFAULT_PORTS["admin"],
    bff_port: Annotated[int, _port_option("bff")] = DEFAULT_PORTS["bff"],
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


@app.command()
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


@app.command()
def run(
    scenario: Annotated[str, typer.Option(help="built-in name or a scenario .toml")],
    duration: Annotated[str | None, typer.Option(
        help="shorten or stretch the phases to this total, e.g. 30s")] = None,
    users: Annotated[int | None, typer.Option(help="concurrent users (all phases)")] = None,
    policy: Annotated[str | None, typer.Option(
        help="preset(s), comma-separated: naive,book,book-retry,resilient")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a policy knob: inventory.retry.max_attempts=2")] = None,
    seed: Annotated[int | None, typer.Option(help="default: the scenario's seed",
                                             min=0, max=2**63 - 1)] = None,
    out: Annotated[Path | None, typer.Option(
        help="output directory (default: a new results/<time>-<scenario>-<policy>/)")
                   ] = None,
    processes: Annotated[int, typer.Option(help="locust worker processes (0 = one)")] = 0,
    target: Annotated[str | None, typer.Option(help=TARGET_HELP)] = None,
    baseline: Annotated[str | None, typer.Option(
        help="a report.json (or run directory) to compare with, or last-pass")] = None,
    force: Annotated[bool, typer.Option(help="replace a run already in --out")] = False,
    ports_file: Annotated[Path | None, typer.Option(help=PORTS_FILE_HELP)] = None,
    target_wait: Annotated[str, typer.Option(help=WAIT_HELP)] = "30s",
    products_port: Annotated[int | None, _run_port_option("products")] = None,
    inventory_port: Annotated[int | None, _run_port_option("inventory")] = None,
    favorites_port: Annotated[int | None, _run_port_option("favorites")] = None,
    cart_port: Annotated[int | None, _run_port_option("cart")] = None,
    admin_port: Annotated[int | None, _run_port_option("admin")] = None,
    bff_port: Annotated[int | None, _run_port_option("bff")] = None,
) -> None:
    """Run a scenario: simulator + BFF here, locust as a subprocess, report.json at the end.

    With --target the load goes to your BFF instead (exit 2 if it never accepts a
    connection or never calls the simulator, 1 if it answers only errors)."""
    from scenarios.interrupt import install

    install()  # from the first moment: a signal is never lost (exit 130 or 143)
    from scenarios.command import RunRequest, run_command
    from scenarios.fields import MAX_USERS
    from scenarios.loader import load_scenario
    from sim.durations import parse_duration

    with user_errors():
        chosen = load_scenario(scenario)
        if duration is not None:
            total = parse_duration(duration, "--duration")
            if total < len(chosen.phases):
                raise ConfigError("--duration", f"must give each of the "
                                                f"{len(chosen.phases)} phases at least 1 s")
            chosen = chosen.with_duration(total)
        if users is not None:
            chosen = chosen.with_users(check_range("--users", users, 1, MAX_USERS))
        check_range("--processes", processes, 0, MAX_PROCESSES)
        names = tuple(p.strip() for p in policy.split(",")) if policy else ()
        if target is not None and (names or set_):
            raise ConfigError("--policy", "an external BFF (--target) runs its own policies: "
                                          "drop --policy and --set")
        ports = _ports_given(products=products_port, inventory=inventory_port,
                             favorites=favorites_port, cart=cart_port, admin=admin_port,
                             bff=bff_port)
        request = RunRequest(chosen, names, tuple(set_ or ()), seed, out, processes, target,
                             baseline, force=force, ports=ports, ports_file=ports_file,
                             target_wait=parse_duration(target_wait, "--target-wait"))
        raise typer.Exit(run_command(request, console))


scenarios_app = typer.Typer(no_args_is_help=True, help="The scenario catalogue and format.")
app.add_typer(scenarios_app, name="scenarios")


@scenarios_app.command("list")
def scenarios_list() -> None:
    """The built-in scenarios, with tags and what each teaches."""
    from scenarios.loader import list_builtins
    from scenarios.views import catalogue_table

    with user_errors():
        console.print(catalogue_table(list_builtins()))


@scenarios_app.command("show")
def scenarios_show(name: Annotated[str, typer.Argument(help="built-in name or .toml")]) -> None:
    """A scenario's phases, faults, load, policy and SLOs."""
    from scenarios.loader import load_scenario
    from scenarios.views import scenario_view

    with user_errors():
        console.print(scenario_view(load_scenario(name)))


@scenarios_app.command("validate")
def scenarios_validate(files: Annotated[list[Path], typer.Argument(help=".toml files")]) -> None:
    """Check scenario files; exit 2 with one line per problem if any is invalid."""
    from scenarios.loader import validate_file

    with user_errors():
        for path in files:
            scenario = validate_file(path)
            console.print(f"{path}: ok ({scenario.name}, {len(scenario.phases)} phases, "
                          f"{len(scenario.slos)} SLOs)")


@scenarios_app.command("schema")
def scenarios_schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    import json

    from scenarios.schema import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="a run directory or its "
                                                                "report.json")],
    write: Annotated[bool, typer.Option(help="re-write report.html, report.md, junit.xml")
                     ] = False,
) -> None:
    """Show a run's report again from its report.json (and re-render its files)."""
    from reports.files import read_report
    from reports.outputs import write_outputs
    from reports.terminal import full_report

    with user_errors():
        data = read_report(run_dir)
        console.print(full_report(data))
        if write:
            out = run_dir if run_dir.is_dir() else run_dir.parent
            write_outputs(out, data, with_json=False)
            console.print(f"wrote {out}/report.html, report.md, junit.xml", style="dim")


@app.command()
def smoke(
    baseline: Annotated[Path | None, typer.Option(help="smoke baseline JSON to compare with")
                        ] = None,
    update_baseline: Annotated[bool, typer.Option(help="write --baseline from this run")
                               ] = False,
    out: Annotated[Path, typer.Option(help="output directory")] = Path("results/smoke"),
    duration: Annotated[str, typer.Option(help="length of each scenario")] = "15s",
    force: Annotated[bool, typer.Option(help="replace the runs already in --out")] = False,
    target: Annotated[str | None, typer.Option(help=TARGET_HELP)] = None,
    ports_file: Annotated[Path | None, typer.Option(help=PORTS_FILE_HELP)] = None,
    target_wait: Annotated[str, typer.Option(help=WAIT_HELP)] = "30s",
    products_port: Annotated[int | None, _run_port_option("products")] = None,
    inventory_port: Annotated[int | None, _run_port_option("inventory")] = None,
    favorites_port: Annotated[int | None, _run_port_option("favorites")] = None,
    cart_port: Annotated[int | None, _run_port_option("cart")] = None,
    admin_port: Annotated[int | None, _run_port_option("admin")] = None,
    bff_port: Annotated[int | None, _run_port_option("bff")] = None,
) -> None:
    """CI gate: the smoke-tagged scenarios, shortened; exit 1 on any breach (2 if the
    --target BFF is down or never calls the simulator)."""
    from scenarios.interrupt import install

    install()  # from the first moment: a signal is never lost (exit 130 or 143)
    from scenarios.smoke import smoke_command
    from scenarios.target import ExternalTarget
    from sim.durations import parse_duration

    with user_errors():
        if update_baseline and baseline is None:
            raise ConfigError("--update-baseline", "needs --baseline FILE to write")
        seconds = parse_duration(duration, "--duration")
        external = ExternalTarget(
            target, ports_file, parse_duration(target_wait, "--target-wait"),
            _ports_given(products=products_port, inventory=inventory_port,
                         favorites=favorites_port, cart=cart_port, admin=admin_port,
                         bff=bff_port))
        raise typer.Exit(smoke_command(out, seconds, baseline, update_baseline, console,
                                       force, external))


@app.command()
def history(
    scenario: Annotated[str | None, typer.Option(help="only this scenario")] = None,
    limit: Annotated[int, typer.Option(help="newest N runs")] = 20,
) -> None:
    """Past runs recorded in .sim/history.db."""
    from reports.history import DEFAULT_DB, list_runs
    from reports.history_view import history_table

    with user_errors():
        check_range("--limit", limit, 1, MAX_HISTORY)
        console.print(history_table(aio.run(list_runs(DEFAULT_DB, scenario, limit))))


@app.command()
def compare(
    run_a: Annotated[str, typer.Argument(metavar="A", help="the reference: run dir, "
                                                          "report.json or history id")],
    run_b: Annotated[str, typer.Argument(metavar="B", help="the candidate, the same way")],
    force: Annotated[bool, typer.Option(help="compare runs of different scenarios")] = False,
    allow: Annotated[list[str] | None, typer.Option(
        help="allowed regression, e.g. p95=5ms or p99=5ms,10% (repeatable)")] = None,
    strict: Annotated[bool, typer.Option(help="an inconclusive verdict fails")] = False,
) -> None:
    """Is run B worse than run A? Intervals from every request when both kept samples;
    latencies of two separate runs are shown, not judged (`sim ab` judges them)."""
    from reports.gate_compare import compare_runs, load_run
    from reports.gate_render import gate_table
    from reports.terminal import baseline_table

    with user_errors():
        a, b = load_run(run_a, "A"), load_run(run_b, "B")
        result = compare_runs(a, b, force=force, allow=allow or (), strict=strict)
        console.print(f"A (reference) = {a.path}\nB (candidate) = {b.path}", highlight=False)
        console.print(gate_table(result) if result["kind"] == "gate"
                      else baseline_table(result))
        raise typer.Exit(0 if result["passed"] else 1)


@app.command()
def ab(
    scenario: Annotated[str, typer.Option(help="built-in name or a scenario .toml")],
    policy_a: Annotated[str | None, typer.Option(help="A's preset (default: the "
                                                      "scenario's policy)")] = None,
    policy_b: Annotated[str | None, typer.Option(help="B's preset")] = None,
    set_a: Annotated[list[str] | None, typer.Option(
        "--set-a", help="override one of A's knobs: inventory.retry.max_attempts=2")] = None,
    set_b: Annotated[list[str] | None, typer.Option("--set-b", help="the same for B")
                     ] = None,
    target_a: Annotated[str | None, typer.Option(help="A is an external BFF at this URL")
                        ] = None,
    target_b: Annotated[str | None, typer.Option(help="B is an external BFF at this URL")
                        ] = None,
    duration: Annotated[str, typer.Option(help="length of each round")] = "15s",
    rounds: Annotated[int, typer.Option(help="rounds to run at least")] = 3,
    budget: Annotated[str | None, typer.Option(
        help="keep adding rounds while inconclusive, up to this total, e.g. 3m")] = None,
    users: Annotated[int | None, typer.Option(help="concurrent users (split A/B)")] = None,
    seed: Annotated[int | None, typer.Option(help="default: the scenario's seed",
                                             min=0, max=2**63 - 1)] = None,
    out: Annotated[Path | None, typer.Option(help="output directory")] = None,
    allow: Annotated[list[str] | None, typer.Option(
        help="allowed regression, e.g. p95=5ms or p99=5ms,10% (repeatable)")] = None,
    strict: Annotated[bool, typer.Option(help="an inconclusive verdict fails")] = False,
    ports_file: Annotated[Path | None, typer.Option(help=AB_PORTS_FILE_HELP)] = None,
    target_wait: Annotated[str, typer.Option(help=WAIT_HELP)] = "30s",
    products_port: Annotated[int | None, _ab_port_option("products")] = None,
    inventory_port: Annotated[int | None, _ab_port_option("inventory")] = None,
    favorites_port: Annotated[int | None, _ab_port_option("favorites")] = None,
    cart_port: Annotated[int | None, _ab_port_option("cart")] = None,
    admin_port: Annotated[int | None, _ab_port_option("admin")] = None,
) -> None:
    """A/B in one run: two configurations side by side, rounds repeated; exit 1 if B is
    worse than A beyond the allowed regression.

    With --target-a/--target-b two external BFFs alternate on one simulator (its ports:
    the port options or --ports-file); exit 2 if one never accepts a connection or never
    calls the simulator, 1 if one answers only errors. Ctrl-C: ab.json and ab.md cover the
    rounds completed, exit 130."""
    from scenarios.interrupt import install

    interruption = install()  # from the first moment: a signal is never lost
    from scenarios.ab_command import AbRequest, ab_command
    from scenarios.ab_targets import TargetSetup
    from scenarios.loader import load_scenario
    from sim.durations import parse_duration
    from sim.errors import ConfigError

    with user_errors():
        chosen = load_scenario(scenario)
        chosen = chosen.with_duration(parse_duration(duration, "--duration"))
        if users is not None:
            if users < 1:
                raise ConfigError("--users", f"must be at least 1, got {users}")
            chosen = chosen.with_users(users)
        ports = _ports_given(products=products_port, inventory=inventory_port,
                             favorites=favorites_port, cart=cart_port, admin=admin_port)
        targets = TargetSetup(ports, ports_file, parse_duration(target_wait, "--target-wait"))
        request = AbRequest(chosen, policy_a, policy_b, tuple(set_a or ()),
                            tuple(set_b or ()), target_a, target_b, seed, out, rounds,
                            parse_duration(budget, "--budget") if budget else None,
                            tuple(allow or ()), strict, targets)
        raise typer.Exit(ab_command(request, console, interruption=interruption))


@app.command()
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


@app.command()
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


def main() -> None:
    if sys.argv[1:2] == ["serve"]:  # start fast: typer's per-option pydantic set-up skipped
        from sim.fast_options import parse_options

        options = parse_options(serve, sys.argv[2:])
        if options is not None:
            try:
                serve(**options)
            except typer.Exit as exc:
                raise SystemExit(exc.exit_code) from None
            return
    run_app()


def run_app() -> None:
    """typer's app, with its usage errors as one line each instead of typer's box."""
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

    try:
        # Not standalone: typer raises its errors here instead of printing them; an Exit
        # (also `--help`'s) comes back as the exit code.
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:  # typer already printed the help
        raise SystemExit(exc.exit_code) from None
    except UsageError as exc:
        from sim.usage_errors import one_line

        line = one_line(exc, typer.main.get_command(app), sys.argv[1:])
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False,
                          soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
    except ClickException as exc:
        err_console.print(f"[bold red]error:[/] {escape(exc.format_message())}",
                          highlight=False, soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        err_console.print("Aborted!")
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
