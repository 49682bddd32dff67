"""`sim`: the command line. Thin: parse, call into the packages, map errors to exit codes.

Exit codes: 0 pass, 1 SLO or baseline breach, 2 usage or configuration error, 130 interrupted.
The app and `main` live here; the commands, grouped by area, in cli.servers, cli.runs and
cli.reading. Each command imports what it needs in its own body: importing this package stays
light (`sim serve` starts fast; tests/test_cli_startup.py checks it).
"""

from __future__ import annotations

import sys

if "aiohttp" not in sys.modules:  # aiohttp's CA store read at first use: ~0.1 s at start
    from sim.lazy_tls import install as read_ca_store_at_first_handshake

    read_ca_store_at_first_handshake()

if sys.argv[1:2] in (["run"], ["smoke"], ["ab"]):  # before the slow imports: no signal lost
    from scenarios.interrupt import install

    install()

import typer
from rich.markup import escape

from cli.common import err_console
from cli.reading import (
    history,
    report,
    scenarios_list,
    scenarios_schema,
    scenarios_show,
    scenarios_validate,
)
from cli.runs import ab, compare, run, smoke
from cli.servers import fault, serve, ui, worker

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate, load-test and gate a BFF whose downstreams misbehave.")
# Registration order is the order `sim --help` lists the commands in.
for command in (serve, fault, run, report, smoke, history, compare, ab, ui, worker):
    app.command()(command)

scenarios_app = typer.Typer(no_args_is_help=True, help="The scenario catalogue and format.")
app.add_typer(scenarios_app, name="scenarios")
scenarios_app.command("list")(scenarios_list)
scenarios_app.command("show")(scenarios_show)
scenarios_app.command("validate")(scenarios_validate)
scenarios_app.command("schema")(scenarios_schema)


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
