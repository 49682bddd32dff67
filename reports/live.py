"""The live view of a running scenario (pure: a snapshot in, a rich renderable out)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

STATE_STYLE = {"closed": "green", "open": "bold red", "half_open": "yellow",
               "forced_open": "red", "disabled": "dim", "metrics_only": "cyan"}


@dataclass(frozen=True)
class LiveSnapshot:
    scenario: str
    policy: str
    elapsed: float
    total: float
    phase: str | None
    phase_left: float | None
    rps: float | None  # client side, locust's current rate
    p95_10s: float | None  # seconds, locust's 10 s window
    error_ratio: float | None
    degraded_ratio: float | None  # BFF side, since the last snapshot
    retries_per_second: float | None
    breakers: dict[str, str] = field(default_factory=dict)


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def live_view(snap: LiveSnapshot) -> Group:
    header = Text.assemble((f"{snap.scenario}", "bold"), f" · policy {snap.policy} · ",
                           (f"phase {snap.phase or '-'}", "cyan"),
                           f" ({_fmt(snap.phase_left, '.0f', ' s')} left) · "
                           f"{snap.elapsed:.0f}/{snap.total:.0f} s")
    bar = ProgressBar(total=max(snap.total, 1e-9), completed=min(snap.elapsed, snap.total),
                      width=60)
    table = Table.grid(padding=(0, 3))
    for _ in range(5):
        table.add_column()
    table.add_row("req/s", "p95 (10 s)", "errors", "degraded", "retries/s")
    table.add_row(_fmt(snap.rps, ".1f"),
                  _fmt(None if snap.p95_10s is None else snap.p95_10s * 1000, ".0f", " ms"),
                  _fmt(None if snap.error_ratio is None else snap.error_ratio * 100, ".1f",
                       "%"),
                  _fmt(None if snap.degraded_ratio is None else snap.degraded_ratio * 100,
                       ".1f", "%"),
                  _fmt(snap.retries_per_second, ".1f"))
    breakers = Text("breakers: ")
    for name, state in snap.breakers.items():
        breakers.append(f"{name} ")
        breakers.append(state, style=STATE_STYLE.get(state, ""))
        breakers.append("  ")
    if not snap.breakers:
        breakers.append("-")
    return Group(header, bar, table, breakers)
