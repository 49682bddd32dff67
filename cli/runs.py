"""Runs of load and their gates: `sim run`, `sim smoke` (the CI gate), `sim ab`, `sim compare`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import (
    AB_PORTS_FILE_HELP,
    PORTS_FILE_HELP,
    TARGET_HELP,
    WAIT_HELP,
    ab_port_option,
    console,
    ports_given,
    run_port_option,
    user_errors,
)
from sim.errors import ConfigError
from sim.options import MAX_PROCESSES, check_range


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
    products_port: Annotated[int | None, run_port_option("products")] = None,
    inventory_port: Annotated[int | None, run_port_option("inventory")] = None,
    favorites_port: Annotated[int | None, run_port_option("favorites")] = None,
    cart_port: Annotated[int | None, run_port_option("cart")] = None,
    admin_port: Annotated[int | None, run_port_option("admin")] = None,
    bff_port: Annotated[int | None, run_port_option("bff")] = None,
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
        ports = ports_given(products=products_port, inventory=inventory_port,
                             favorites=favorites_port, cart=cart_port, admin=admin_port,
                             bff=bff_port)
        request = RunRequest(chosen, names, tuple(set_ or ()), seed, out, processes, target,
                             baseline, force=force, ports=ports, ports_file=ports_file,
                             target_wait=parse_duration(target_wait, "--target-wait"))
        raise typer.Exit(run_command(request, console))


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
    products_port: Annotated[int | None, run_port_option("products")] = None,
    inventory_port: Annotated[int | None, run_port_option("inventory")] = None,
    favorites_port: Annotated[int | None, run_port_option("favorites")] = None,
    cart_port: Annotated[int | None, run_port_option("cart")] = None,
    admin_port: Annotated[int | None, run_port_option("admin")] = None,
    bff_port: Annotated[int | None, run_port_option("bff")] = None,
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
            ports_given(products=products_port, inventory=inventory_port,
                         favorites=favorites_port, cart=cart_port, admin=admin_port,
                         bff=bff_port))
        raise typer.Exit(smoke_command(out, seconds, baseline, update_baseline, console,
                                       force, external))


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
    products_port: Annotated[int | None, ab_port_option("products")] = None,
    inventory_port: Annotated[int | None, ab_port_option("inventory")] = None,
    favorites_port: Annotated[int | None, ab_port_option("favorites")] = None,
    cart_port: Annotated[int | None, ab_port_option("cart")] = None,
    admin_port: Annotated[int | None, ab_port_option("admin")] = None,
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

    with user_errors():
        chosen = load_scenario(scenario)
        chosen = chosen.with_duration(parse_duration(duration, "--duration"))
        if users is not None:
            if users < 1:
                raise ConfigError("--users", f"must be at least 1, got {users}")
            chosen = chosen.with_users(users)
        ports = ports_given(products=products_port, inventory=inventory_port,
                             favorites=favorites_port, cart=cart_port, admin=admin_port)
        targets = TargetSetup(ports, ports_file, parse_duration(target_wait, "--target-wait"))
        request = AbRequest(chosen, policy_a, policy_b, tuple(set_a or ()),
                            tuple(set_b or ()), target_a, target_b, seed, out, rounds,
                            parse_duration(budget, "--budget") if budget else None,
                            tuple(allow or ()), strict, targets)
        raise typer.Exit(ab_command(request, console, interruption=interruption))


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

