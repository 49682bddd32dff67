"""The black-box view of a report (reports/blackbox.py) as rows for the terminal and
report.md: what the simulator saw of the BFF's calls and the breakers that implies, next
to our BFF's own telemetry when it was ours (a cross-check)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from reports.fit import Col, fit
from reports.slo import format_value


def _ours(report: Mapping[str, Any]) -> bool:
    return report.get("target") is None and bool(report.get("downstreams"))


def traffic_rows(report: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per service: calls, calls per page, amplification, abandoned calls and breaker
    opens as inferred; with our BFF, its own numbers in "(BFF)" columns next to them."""
    inferred = report.get("blackbox", {}).get("services", {})
    ours = _ours(report)
    head = ["downstream", "calls seen", "per page", "ampl.", "abandoned", "opens"]
    if ours:
        head[3:] = ["ampl.", "ampl. (BFF)", "abandoned", "abandoned (BFF)", "opens",
                    "opens (BFF)"]
    rows = []
    for name, seen in inferred.items():
        ampl = "-" if seen["amplification"] is None else f"{seen['amplification']:.2f}"
        per_page = "-" if seen["calls_per_page"] is None else f"{seen['calls_per_page']:.2f}"
        row = [name, str(seen["calls"]), per_page, ampl, str(seen["abandoned"]),
               str(seen["opens"])]
        if ours:
            own = report["downstreams"].get(name, {})
            opens = report.get("scoring", {}).get(name, {}).get("opens", 0)
            row[3:] = [ampl, f"{own.get('amplification', 0.0):.2f}", str(seen["abandoned"]),
                       str(own.get("abandoned", 0)), str(seen["opens"]), str(opens)]
        rows.append(row)
    return head, rows


def breaker_rows(report: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per faulty phase of each service: time to open and to close, as inferred."""
    inferred = report.get("blackbox", {}).get("services", {})
    ours = _ours(report)
    head = ["downstream", "faulty phase", "time to open", "time to close"]
    if ours:
        head += ["to open (BFF)", "to close (BFF)"]
    rows = []
    for name, seen in inferred.items():
        for phase, entry in seen["phases"].items():
            opened = format_value(entry["time_to_open"], "s") if entry["observable"] \
                else "n/a (down)"
            if entry["observable"] and entry["time_to_open"] is None:
                opened = "never"
            row = [name, phase, opened, "-" if entry["time_to_close"] is None else
                   format_value(entry["time_to_close"], "s")]
            if ours:
                own = report.get("scoring", {}).get(name, {}).get("phases", {}).get(phase, {})
                row += [format_value(own.get("time_to_open"), "s"),
                        format_value(own.get("time_to_close"), "s")]
            rows.append(row)
    return head, rows


def blackbox_table(report: Mapping[str, Any]) -> RenderableType:
    if not report.get("blackbox", {}).get("services"):
        return Text("")
    head, rows = traffic_rows(report)
    keep = {"downstream": 99, "calls seen": 3, "per page": 2, "ampl.": 8, "ampl. (BFF)": 8,
            "abandoned": 1, "abandoned (BFF)": 1, "opens": 6, "opens (BFF)": 6}
    traffic = fit("seen from the simulator (any BFF; inferred from its calls)",
                  [Col(h, numeric=h != "downstream", keep=keep[h]) for h in head], rows)
    head, rows = breaker_rows(report)
    if not rows:
        return traffic
    breakers = fit("breakers inferred from the calls (open: calls stop while pages go on)",
                   [Col(h, numeric=i > 1, keep=99 if i < 4 else 5)
                    for i, h in enumerate(head)], rows)
    return Group(traffic, breakers)
