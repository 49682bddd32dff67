"""Writing run outputs atomically (temp file, then rename): an interrupted run never
leaves half a report."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def read_report(path: Path) -> dict[str, Any]:
    from sim.errors import ConfigError

    target = path / "report.json" if path.is_dir() else path
    try:
        data: dict[str, Any] = json.loads(target.read_text())
    except FileNotFoundError:
        raise ConfigError("RUN", "no report.json there", source=str(target)) from None
    except (OSError, ValueError) as exc:
        raise ConfigError("RUN", f"not a readable report.json ({exc})",
                          source=str(target)) from None
    if data.get("schema") != "bff-sim/report":
        raise ConfigError("schema", "not a bff-sim report.json", source=str(target))
    return data
