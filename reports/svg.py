"""Small inline-SVG charts for the self-contained HTML report (no JavaScript, no CDN)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH, PLOT_LEFT, PLOT_RIGHT = 900, 60, 20
COLORS = ("#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd", "#8c564b")
STATE_COLORS = {"closed": "#7fc97f", "open": "#e34a33", "half_open": "#fdc086",
                "forced_open": "#b30000", "disabled": "#bbbbbb", "metrics_only": "#80b1d3"}


def nice_max(value: float) -> tuple[float, float]:
    """(axis top, tick step): round steps of 1, 2, 2.5 or 5 x 10^k, at most 5 ticks, so a
    reader sees 0, 50, 100, 150, 200 rather than 0, 57.3, 114.6, ..."""
    if value <= 0:
        return 1.0, 0.25
    magnitude = 10 ** math.floor(math.log10(value / 4))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if value / step <= 4:
            return math.ceil(value / step - 1e-9) * step, step
    return 10 * magnitude * 4, 10 * magnitude


class Frame:
    """Maps (t, value) to pixels for one plot area."""

    def __init__(self, total: float, top: float, height: float, data_max: float) -> None:
        self.total = max(total, 1e-9)
        self.top, self.height = top, height
        self.ymax, self.step = nice_max(data_max)
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
    ticks = round(frame.ymax / frame.step)
    for i in range(ticks + 1):
        value = frame.step * i
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


# The third line of a chart is dashed: where it runs on top of another one (fallbacks
# served for every call a breaker refused, p95 = p99) both stay visible.
DASHES = ("", "", "6,4")


def _dash(index: int) -> str:
    dash = DASHES[index % len(DASHES)]
    return f' stroke-dasharray="{dash}"' if dash else ""


def _line(frame: Frame, points: Sequence[tuple[float, float]], index: int, name: str) -> str:
    if not points:
        return ""
    path = " ".join(f"{frame.x(t):.1f},{frame.y(v):.1f}" for t, v in points)
    return (f'<polyline points="{path}" fill="none" stroke="{COLORS[index % len(COLORS)]}" '
            f'stroke-width="1.6"{_dash(index)}><title>{escape(name)}</title></polyline>')


def _legend(names: Sequence[str], top: float) -> str:
    parts, x = [], PLOT_LEFT
    for index, name in enumerate(names):
        color = COLORS[index % len(COLORS)]
        parts.append(f'<line x1="{x}" y1="{top + 5}" x2="{x + 12}" y2="{top + 5}" '
                     f'stroke="{color}" stroke-width="4"{_dash(index).replace("6,4", "3,2")}/>'
                     f'<text x="{x + 16}" y="{top + 9}" class="tick">{escape(name)}</text>')
        x += 26 + 7 * len(name)
    return "".join(parts)


def breaker_bands(report: Mapping[str, Any]) -> list[Band]:
    """Each breaker's state over the run, coloured (our BFF's own timeline)."""
    total = max((p["end"] for p in report["phases"]), default=1.0)
    bands = []
    for downstream in sorted({m["downstream"] for m in report["breaker_timeline"]}):
        moves = [m for m in report["breaker_timeline"] if m["downstream"] == downstream]
        starts = [(0.0, "closed")] + [(m["t"], m["to"]) for m in moves]
        bands.append((downstream, [
            (t, t_next, STATE_COLORS.get(state, "#999"), f"{downstream} {state} from {t:.2f}s")
            for (t, state), (t_next, _) in zip(starts, [*starts[1:], (total, "")],
                                               strict=True)]))
    return bands


def latency_chart(report: Mapping[str, Any]) -> str:
    """Client p50/p95/p99 per second, phases shaded, one breaker state band per breaker."""
    rows = [r for r in report["client"]["series"] if r["requests"]]
    lines = {key: [(r["t"] + 0.5, r[key] * 1000) for r in rows] for key in ("p50", "p95", "p99")}
    return series_chart(report, lines, "latency (ms)", ".0f", bands=breaker_bands(report))


Segment = tuple[float, float, str, str]  # start s, end s, colour, tooltip
Band = tuple[str, list[Segment]]  # a labelled row of coloured time segments


def _bands(frame: Frame, bands: Sequence[Band], top: float) -> str:
    parts = []
    for row, (label, segments) in enumerate(bands):
        y = top + 18 * row
        for start, end, color, title in segments:
            x0, x1 = frame.x(start), frame.x(end)
            parts.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 0.5):.1f}" '
                         f'height="14" fill="{color}"><title>{escape(title)}</title></rect>')
        parts.append(f'<text x="{PLOT_LEFT - 5}" y="{y + 11}" class="tick" '
                     f'text-anchor="end">{escape(label)}</text>')
    return "".join(parts)


def series_chart(report: Mapping[str, Any], lines: Mapping[str, Sequence[tuple[float, float]]],
                 label: str, fmt: str, top: float | None = None,
                 bands: Sequence[Band] = ()) -> str:
    """Lines per second over the phases, on a round y axis (`top`: a fixed one, e.g. 100 %),
    with labelled bands under the plot (faults, breaker states) on the same time axis."""
    phases = report["phases"]
    total = max((p["end"] for p in phases), default=1.0)
    data_max = max((v for points in lines.values() for _, v in points), default=0.0)
    frame = Frame(total, 20, 160, top if top is not None else data_max)
    band_top = frame.top + frame.height + 26
    height = band_top + 18 * len(bands) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'class="chart" role="img" aria-label="{escape(label)} over time">',
             _phase_shading(frame, phases, frame.top + frame.height),
             _axis(frame, label, fmt), _time_axis(frame, frame.top + frame.height + 14)]
    for index, (name, points) in enumerate(lines.items()):
        parts.append(_line(frame, points, index, name))
    parts.append(_bands(frame, bands, band_top))
    parts.append(_legend(list(lines), height - 14))
    parts.append("</svg>")
    return "".join(parts)


def _per_second(rows: Sequence[Mapping[str, Any]], prefixes: Mapping[str, str]
                ) -> dict[str, list[tuple[float, float]]]:
    lines: dict[str, list[tuple[float, float]]] = {name: [] for name in prefixes}
    previous = 0.0
    for row in rows:
        span = max(row["t"] - previous, 1e-3)
        for name, prefix in prefixes.items():
            value = sum(v for k, v in row.items() if k.startswith(prefix))
            lines[name].append((row["t"], value / span))
        previous = row["t"]
    return lines


def load_chart(report: Mapping[str, Any]) -> str:
    """Requests per second, as the clients sent them."""
    rows = report["client"]["series"]
    return series_chart(report, {"req/s": [(r["t"] + 0.5, r["requests"]) for r in rows]},
                        "requests per second", ".0f")


def outcome_chart(report: Mapping[str, Any]) -> str:
    """Failed and degraded answers as a share of each second's requests (0-100 %)."""
    rows = [r for r in report["client"]["series"] if r["requests"]]
    return series_chart(report, {
        "failed %": [(r["t"] + 0.5, 100 * r["failed"] / r["requests"]) for r in rows],
        "degraded %": [(r["t"] + 0.5, 100 * r["degraded"] / r["requests"]) for r in rows]},
        "% of requests", ".0f", top=100.0)


FAULT_COLOR = "#9e9ac8"


def fault_bands(report: Mapping[str, Any]) -> list[Band]:
    """Per faulty service, what the plan injected in which phase: the cause, to read
    against the policies' activity above it (the effect)."""
    plan = report["faults"]["plan"]
    spans = {p["name"]: (p["start"], p["end"]) for p in report["phases"]}
    bands: dict[str, list[Segment]] = {}
    for phase in plan["phases"]:
        for service in sorted({*phase["faults"], *plan["faults"]}):
            faults = phase["faults"].get(service, plan["faults"].get(service, []))
            if faults and phase["name"] in spans:
                start, end = spans[phase["name"]]
                kinds = ", ".join(str(f.get("type")) for f in faults)
                bands.setdefault(service, []).append(
                    (start, end, FAULT_COLOR, f"{service}: {kinds} in {phase['name']}"))
    return sorted(bands.items())


def activity_chart(report: Mapping[str, Any]) -> str:
    """Attempts, fallbacks and rejected calls per second (all downstreams), with the
    injected faults in bands under it on the same time axis."""
    lines = _per_second(report.get("resilience_series", []), {
        "attempts": "bff_attempts_total|", "fallbacks": "bff_fallbacks_total|",
        "not permitted": "bff_breaker_not_permitted_total|"})
    return series_chart(report, lines, "per second", ".0f", bands=fault_bands(report))


def retry_chart(report: Mapping[str, Any]) -> str:
    """Retries per second on their own scale: next to attempts they would be a flat line."""
    lines = _per_second(report.get("resilience_series", []),
                        {"retries": "bff_retries_scheduled_total|"})
    return series_chart(report, lines, "retries per second", "g", bands=fault_bands(report))


def calls_chart(report: Mapping[str, Any]) -> str:
    """Any BFF: the calls each simulated service saw per second, the faults under them."""
    series = report.get("blackbox", {}).get("calls_series", {})
    lines = {name: [(i + 0.5, float(n)) for i, n in enumerate(counts)]
             for name, counts in series.items()}
    return series_chart(report, lines, "calls per second", ".0f", bands=fault_bands(report))
