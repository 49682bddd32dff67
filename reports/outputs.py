"""A run directory's report files (report.json and its renderings), written as one set."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reports.files import write_file_set
from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown

INTERRUPTED_AFTER_LOAD = "interrupted by {signal} after the load ended: this run's report " \
                         "was being made"


def write_outputs(out: Path, report: Mapping[str, Any], *, with_json: bool = True) -> None:
    """report.json (or, with `with_json=False`, the one already there, re-vouched for),
    report.md, report.html and junit.xml, then manifest.json last."""
    encoded = (json.dumps(report, indent=2, sort_keys=False, default=str) + "\n").encode()
    files = {
        "report.json": encoded if with_json else (out / "report.json").read_bytes(),
        "report.md": render_markdown(report).encode(),
        "report.html": render_html(report).encode(),
        "junit.xml": render_junit([report]).encode(),
    }
    about = {"complete": bool(report.get("complete")),
             "interrupted": bool(report.get("interrupted")),
             "passed": bool(report.get("passed"))}
    write_file_set(out, files, about)


def mark_interrupted(report: dict[str, Any], signal_name: str) -> None:
    """A report whose load finished but whose run was stopped before its files were
    final: interrupted, so the files always agree with the exit code (130 or 143)."""
    if report.get("interrupted"):
        return
    report["interrupted"] = True
    report["complete"] = False
    report["passed"] = False
    report.setdefault("problems", []).append(
        INTERRUPTED_AFTER_LOAD.format(signal=signal_name))
