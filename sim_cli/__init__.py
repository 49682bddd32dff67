"""The `sim` command's commands, grouped by area; cli.py builds the Typer app from them.

Each command imports what it needs in its own body: importing these modules stays light
(`sim serve` starts fast; tests/test_cli_startup.py checks it)."""
