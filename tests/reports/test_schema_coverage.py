"""Every key the renderers and the baseline comparison read from a real report.json is
declared by its schema: a field the schema leaves out is a field a hand-edited report can
break, crashing `sim report` with a KeyError instead of a one-line error."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from reports.baseline import compare
from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.report_schema import REPORT_JSON_SCHEMA
from reports.terminal import baseline_table, full_report

Path = tuple[str, ...]


class Read(dict[str, Any]):
    """A report node that records every key read from it (`[]`, `get`, `in`)."""

    def __init__(self, data: dict[str, Any], path: Path, seen: set[Path]) -> None:
        super().__init__({k: _track(v, (*path, k), seen) for k, v in data.items()})
        self._path, self._seen = path, seen

    def __getitem__(self, key: str) -> Any:
        self._seen.add((*self._path, key))
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._seen.add((*self._path, key))
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._seen.add((*self._path, str(key)))
        return super().__contains__(key)


def _track(value: Any, path: Path, seen: set[Path]) -> Any:
    if isinstance(value, dict):
        return Read(value, path, seen)
    if isinstance(value, list):
        return [_track(item, (*path, "*"), seen) for item in value]
    return value


def _declared(schema: dict[str, Any], path: Path) -> bool:
    if not path:
        return True
    branches = schema.get("anyOf", [schema])
    for branch in branches:
        key, rest = path[0], path[1:]
        if key == "*" and isinstance(branch.get("items"), dict) and \
                _declared(branch["items"], rest):
            return True
        child = branch.get("properties", {}).get(key, branch.get("additionalProperties"))
        if isinstance(child, dict) and _declared(child, rest):
            return True
    return False


def test_every_key_a_renderer_reads_is_in_the_schema(report: dict[str, Any]) -> None:
    seen: set[Path] = set()
    tracked = _track(report, (), seen)
    console = Console(width=160, file=io.StringIO(), color_system=None)
    console.print(full_report(tracked))
    render_html(tracked)
    render_markdown(tracked)
    render_junit([tracked])
    console.print(baseline_table(compare(tracked, tracked)))
    assert len(seen) > 100  # the renderers did read the report through the tracker
    missing = sorted(p for p in seen if not _declared(REPORT_JSON_SCHEMA, p))
    assert missing == [], "\n".join(".".join(p) for p in missing)
