"""Rich views of the simulator for the CLI (pure: data in, renderables out)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text


def plain_row(table: Table, *cells: RenderableType, style: str | None = None) -> None:
    """Add a row whose strings are shown as they are: names, rules and reasons may hold
    brackets, which rich would otherwise read as markup and swallow."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells), style=style)


ROUTES = {
    "products": "GET /products",
    "inventory": "GET /products/{id}/inventory",
    "favorites": "GET /users/{id}/favorites",
    "cart": "GET /users/{id}/cart",
    "bff": "GET /products/all",
    "admin": "/health /faults /state /metrics /events",
}


def listeners_table(urls: Mapping[str, str], faults: Mapping[str, Any]) -> Table:
    table = Table(title="bff-sim is listening", title_justify="left")
    table.add_column("service")
    table.add_column("url")
    table.add_column("routes")
    table.add_column("faults")
    for name, url in urls.items():
        plain_row(table, name, url, ROUTES.get(name, ""), Text(describe_faults(faults.get(name))))
    return table


def describe_faults(entry: Any) -> str:
    if not entry or not entry.get("faults"):
        return "-"
    parts = []
    for spec in entry["faults"]:
        details = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "type")
        parts.append(f"{spec['type']}({details})" if details else spec["type"])
    return f"{'; '.join(parts)} ({entry.get('source', '')})"


def faults_table(snapshot: Mapping[str, Any]) -> Table:
    table = Table(title="faults now in force", title_justify="left")
    table.add_column("service")
    table.add_column("faults")
    for service, entry in snapshot.items():
        plain_row(table, service, Text(describe_faults(entry)))
    return table
