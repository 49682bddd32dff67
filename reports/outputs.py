"""Writing every rendering of a report into a run directory, atomically."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reports.files import write_json_atomic, write_text_atomic
from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown


def write_outputs(out: Path, report: Mapping[str, Any], *, with_json: bool = True) -> None:
    if with_json:
        write_json_atomic(out / "report.json", report)
    write_text_atomic(out / "report.md", render_markdown(report))
    write_text_atomic(out / "report.html", render_html(report))
    write_text_atomic(out / "junit.xml", render_junit([report]))
