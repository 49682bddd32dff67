"""What the machine was doing during an A/B run (pure parsing; the reads are in
scenarios.ab): CPU busy and steal shares from /proc/stat, the load average from
/proc/loadavg, and the spread between rounds, so a reader sees why a verdict was
inconclusive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CpuTimes:
    """Jiffies of the aggregate `cpu` line of /proc/stat."""

    total: int
    idle: int  # idle + iowait
    steal: int


def parse_proc_stat(text: str) -> CpuTimes | None:
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            values = [int(v) for v in fields[1:]]
            values += [0] * (8 - len(values))
            # user nice system idle iowait irq softirq steal [guest guest_nice]: guest time
            # is already counted in user and nice, so the total stops at steal.
            return CpuTimes(sum(values[:8]), values[3] + values[4], values[7])
    return None


def parse_loadavg(text: str) -> float | None:
    try:
        return float(text.split()[0])
    except (IndexError, ValueError):
        return None


def cpu_shares(before: CpuTimes, after: CpuTimes) -> tuple[float, float]:
    """(busy share, steal share) of all CPUs between two readings."""
    total = after.total - before.total
    if total <= 0:
        return 0.0, 0.0
    busy = total - (after.idle - before.idle)
    return busy / total, (after.steal - before.steal) / total


def summarize_noise(readings: Sequence[Mapping[str, float]], cpus: int | None,
                    spread: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`readings`: once a second, {busy, steal, load}; `spread`: per-round percentiles."""
    def stat(key: str) -> dict[str, float] | None:
        values = [r[key] for r in readings if r.get(key) is not None]
        if not values:
            return None
        return {"mean": sum(values) / len(values), "max": max(values)}

    out: dict[str, Any] = {"cpus": cpus, "seconds": len(readings),
                           "cpu_busy": stat("busy"), "cpu_steal": stat("steal"),
                           "load1": stat("load"), "rounds": list(spread)}
    for side in ("a", "b"):
        for key in ("p50", "p95"):
            values = [row[f"{side}_{key}"] for row in spread if row[f"requests_{side}"]]
            if len(values) > 1:
                out[f"{side}_{key}_range"] = [min(values), max(values)]
    return out


def noise_lines(noise: Mapping[str, Any]) -> list[str]:
    """A few sentences for people: how busy the machine was, how much rounds differed."""
    lines = []
    busy, steal, load = noise.get("cpu_busy"), noise.get("cpu_steal"), noise.get("load1")
    if busy:
        lines.append(f"CPU busy {busy['mean'] * 100:.0f}% on average (max "
                     f"{busy['max'] * 100:.0f}%) of {noise.get('cpus') or '?'} CPUs, steal "
                     f"{(steal or {'mean': 0})['mean'] * 100:.1f}%, load average "
                     f"{(load or {'max': 0})['max']:.2f} at most, over "
                     f"{noise['seconds']} s")
    for side in ("a", "b"):
        for key in ("p50", "p95"):
            span = noise.get(f"{side}_{key}_range")
            if span:
                lines.append(f"{side.upper()} {key} per round: {span[0] * 1000:.1f} to "
                             f"{span[1] * 1000:.1f} ms")
    return lines
