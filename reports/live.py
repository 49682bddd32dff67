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
    users: int | None = None  # locust's running users
    finished: bool = False  # the last frame: the load has stopped
    interrupted: bool = False


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


COLUMNS = ("users", "req/s", "p95 (10 s)", "errors", "degraded", "retries/s")


def _values(snap: LiveSnapshot) -> tuple[str, ...]:
    return (_fmt(snap.users, "d"), _fmt(snap.rps, ".1f"),
            _fmt(None if snap.p95_10s is None else snap.p95_10s * 1000, ".0f", " ms"),
            _fmt(None if snap.error_ratio is None else snap.error_ratio * 100, ".1f", "%"),
            _fmt(None if snap.degraded_ratio is None else snap.degraded_ratio * 100, ".1f",
                 "%"),
            _fmt(snap.retries_per_second, ".1f"))


def _status(snap: LiveSnapshot) -> Text:
    if snap.interrupted:
        return Text(f"interrupted at {snap.elapsed:.0f} s of {snap.total:.0f} s", "bold yellow")
    if snap.finished:
        return Text(f"finished: {snap.total:.0f} s · writing the report", "green")
    return Text.assemble((f"phase {snap.phase or '-'}", "cyan"),
                         f" ({_fmt(snap.phase_left, '.0f', ' s')} left) · "
                         f"{min(snap.elapsed, snap.total):.0f}/{snap.total:.0f} s")


def live_view(snap: LiveSnapshot) -> Group:
    header = Text.assemble((f"{snap.scenario}", "bold"), f" · policy {snap.policy} · ",
                           _status(snap))
    done = snap.total if snap.finished and not snap.interrupted else snap.elapsed
    # In a grid row of its own: a bare ProgressBar ends without a line break, and the
    # headings below would start on its line, shifted off their values.
    bar = Table.grid()
    bar.add_row(ProgressBar(total=max(snap.total, 1e-9), completed=min(done, snap.total),
                            width=60))
    # One grid, every column right-justified: each heading sits over its value.
    table = Table.grid(padding=(0, 0, 0, 3))
    for _ in COLUMNS:
        table.add_column(justify="right", no_wrap=True)
    table.add_row(*(Text(name, style="dim") for name in COLUMNS))
    table.add_row(*_values(snap))
    breakers = Text("breakers: ")
    for name, state in snap.breakers.items():
        breakers.append(f"{name} ")
        breakers.append(state, style=STATE_STYLE.get(state, ""))
        breakers.append("  ")
    if not snap.breakers:
        breakers.append("-" if snap.policy != "external" else
                        "the external BFF's are inferred from its calls in the report")
    return Group(header, bar, table, breakers)
