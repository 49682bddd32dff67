"""Small inline-SVG charts for the self-contained HTML report (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH, PLOT_LEFT, PLOT_RIGHT = 900, 60, 20
COLORS = ("#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd", "#8c564b")
STATE_COLORS = {"closed": "#7fc97f", "open": "#e34a33", "half_open": "#fdc086",
                "forced_open": "#b30000", "disabled": "#bbbbbb", "metrics_only": "#80b1d3"}


class Frame:
    """Maps (t, value) to pixels for one plot area."""

    def __init__(self, total: float, top: float, height: float, ymax: float) -> None:
        self.total = max(total, 1e-9)
        self.top, self.height = top, height
        self.ymax = ymax if ymax > 0 else 1.0
        self.width = WIDTH - PLOT_LEFT - PLOT_RIGHT

    def x(self, t: float) -> float:
        return PLOT_LEFT + min(max(t, 0.0), self.total) / self.total * self.width

    def y(self, value: float) -> float:
        return self.top + self.height - min(value, self.ymax) / self.ymax * self.height


def _phase_shading(frame: Frame, phases: Sequence[Mapping[str, Any]], bottom: float) -> str:
    parts = []
    for index, phase in enumerate(phases):
        x0, x1 = frame.x(phase["start"]), frame.x(phase["end"])
        fill = "#f3f3f3" if index % 2 == 0 else "#e6eef7"
        parts.append(f'<rect x="{x0:.1f}" y="{frame.top}" width="{x1 - x0:.1f}" '
                     f'height="{bottom - frame.top:.1f}" fill="{fill}"/>')
        parts.append(f'<text x="{x0 + 3:.1f}" y="{frame.top + 12}" class="phase">'
                     f'{escape(phase["name"])}</text>')
    return "".join(parts)


def _axis(frame: Frame, label: str, fmt: str) -> str:
    parts = [f'<line x1="{PLOT_LEFT}" y1="{frame.top + frame.height}" x2="{WIDTH - PLOT_RIGHT}"'
             f' y2="{frame.top + frame.height}" stroke="#999"/>']
    for i in range(5):
        value = frame.ymax * i / 4
        y = frame.y(value)
        parts.append(f'<text x="{PLOT_LEFT - 5}" y="{y + 4:.1f}" class="tick" '
                     f'text-anchor="end">{format(value, fmt)}</text>')
        parts.append(f'<line x1="{PLOT_LEFT}" y1="{y:.1f}" x2="{WIDTH - PLOT_RIGHT}" '
                     f'y2="{y:.1f}" stroke="#ddd" stroke-dasharray="2,3"/>')
    parts.append(f'<text x="12" y="{frame.top + frame.height / 2:.1f}" class="tick" '
                 f'transform="rotate(-90 12 {frame.top + frame.height / 2:.1f})" '
                 f'text-anchor="middle">{escape(label)}</text>')
    return "".join(parts)


def _time_axis(frame: Frame, y: float) -> str:
    parts = []
    step = max(1, round(frame.total / 10))
    t = 0
    while t <= frame.total + 1e-9:
        parts.append(f'<text x="{frame.x(t):.1f}" y="{y}" class="tick" '
                     f'text-anchor="middle">{t}s</text>')
        t += step
    return "".join(parts)


def _line(frame: Frame, points: Sequence[tuple[float, float]], color: str, name: str) -> str:
    if not points:
        return ""
    path = " ".join(f"{frame.x(t):.1f},{frame.y(v):.1f}" for t, v in points)
    return (f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.6">'
            f'<title>{escape(name)}</title></polyline>')


def _legend(names: Sequence[str], top: float) -> str:
    parts, x = [], PLOT_LEFT
    for index, name in enumerate(names):
        color = COLORS[index % len(COLORS)]
        parts.append(f'<rect x="{x}" y="{top}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{x + 14}" y="{top + 9}" class="tick">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return "".join(parts)


def latency_chart(report: Mapping[str, Any]) -> str:
    """Client p50/p95/p99 per second, phases shaded, one breaker state band per breaker."""
    phases = report["phases"]
    total = max((p["end"] for p in phases), default=1.0)
    rows = report["client"]["series"]
    ymax = max((r["p99"] for r in rows), default=0.0) * 1000 * 1.1 or 100.0
    frame = Frame(total, 20, 220, ymax)
    breakers = sorted({m["downstream"] for m in report["breaker_timeline"]})
    band_top = frame.top + frame.height + 26
    height = band_top + 18 * len(breakers) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'class="chart" role="img" aria-label="latency over time">',
             _phase_shading(frame, phases, frame.top + frame.height),
             _axis(frame, "latency (ms)", ".0f"),
             _time_axis(frame, frame.top + frame.height + 14)]
    for index, key in enumerate(("p50", "p95", "p99")):
        points = [(r["t"] + 0.5, r[key] * 1000) for r in rows if r["requests"]]
        parts.append(_line(frame, points, COLORS[index], key))
    for index, downstream in enumerate(breakers):
        y = band_top + 18 * index
        moves = [m for m in report["breaker_timeline"] if m["downstream"] == downstream]
        starts = [(0.0, "closed")] + [(m["t"], m["to"]) for m in moves]
        for (t, state), (t_next, _) in zip(starts, [*starts[1:], (total, "")], strict=True):
            x0, x1 = frame.x(t), frame.x(t_next)
            parts.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 0.5):.1f}" '
                         f'height="14" fill="{STATE_COLORS.get(state, "#999")}">'
                         f'<title>{escape(downstream)} {escape(state)} from {t:.2f}s'
                         '</title></rect>')
        parts.append(f'<text x="{PLOT_LEFT - 5}" y="{y + 11}" class="tick" '
                     f'text-anchor="end">{escape(downstream)}</text>')
    parts.append(_legend(["p50", "p95", "p99"], height - 14))
    parts.append("</svg>")
    return "".join(parts)


def activity_chart(report: Mapping[str, Any]) -> str:
    """Attempts, retries, fallbacks and rejected calls per second (all downstreams)."""
    rows = report.get("resilience_series", [])
    phases = report["phases"]
    total = max((p["end"] for p in phases), default=1.0)
    keys = {"attempts": "bff_attempts_total|", "retries": "bff_retries_scheduled_total|",
            "fallbacks": "bff_fallbacks_total|", "not permitted":
            "bff_breaker_not_permitted_total|"}
    lines: dict[str, list[tuple[float, float]]] = {name: [] for name in keys}
    previous = 0.0
    for row in rows:
        span = max(row["t"] - previous, 1e-3)
        for name, prefix in keys.items():
            value = sum(v for k, v in row.items() if k.startswith(prefix))
            lines[name].append((row["t"], value / span))
        previous = row["t"]
    ymax = max((v for points in lines.values() for _, v in points), default=0.0) * 1.1 or 1.0
    frame = Frame(total, 20, 180, ymax)
    height = frame.top + frame.height + 50
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'class="chart" role="img" aria-label="policy activity over time">',
             _phase_shading(frame, phases, frame.top + frame.height),
             _axis(frame, "per second", ".0f"),
             _time_axis(frame, frame.top + frame.height + 14)]
    for index, (name, points) in enumerate(lines.items()):
        parts.append(_line(frame, points, COLORS[index], name))
    parts.append(_legend(list(lines), height - 14))
    parts.append("</svg>")
    return "".join(parts)
