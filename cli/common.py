"""What every command shares: the consoles, the error-to-exit-code mapping, option helpers.

Here and not in cli/__init__.py: the command modules import this, never `cli` itself, so
that they load while `cli` is still importing them (no cycle) and a run as `__main__` can
never load a second copy of the app."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from sim import DEFAULT_PORTS
from sim.errors import SimError

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


def port_option(name: str) -> Any:
    return typer.Option(f"--{name}-port", help=f"{name} port (0 = any free port)",
                        rich_help_panel="Ports")


def run_port_option(name: str) -> Any:
    text = (f"{name} port (0 = any free port; default: free, or the book's "
            f"{DEFAULT_PORTS[name]} with --target)") if name != "bff" else \
        "our BFF's port (default: any free port; unused with --target)"
    return typer.Option(f"--{name}-port", min=0, max=65535, rich_help_panel="Ports",
                        help=text)


def ab_port_option(name: str) -> Any:
    return typer.Option(f"--{name}-port", min=0, max=65535, rich_help_panel="Ports",
                        help=f"{name} port, for both targets (0 = any free port, kept for "
                             f"every run; default: the book's {DEFAULT_PORTS[name]}); only "
                             f"with --target-a/--target-b")


TARGET_HELP = "an external BFF's base URL; the simulator serves only the downstreams"
PORTS_FILE_HELP = ("write the simulator's ports and URLs as JSON here once all listen "
                   "(for the BFF under test to read); the run then waits for --target")
WAIT_HELP = "how long an external BFF gets to accept connections, e.g. 30s"
AB_PORTS_FILE_HELP = PORTS_FILE_HELP.replace("--target", "--target-a and --target-b")


def ports_given(**ports: int | None) -> tuple[tuple[str, int], ...]:
    return tuple((name, port) for name, port in ports.items() if port is not None)
