"""Writing run outputs so that nothing is half-written or lost: every file goes through a
temp name, fsync and rename, and a run's report files are written as one set with
`manifest.json` last (its presence means the set is finished). Files are 0644 whatever
the umask, like locust's own, so a CI job can upload them."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FILE_MODE = 0o644
MANIFEST = "manifest.json"
MANIFEST_SCHEMA = "bff-sim/run-files"


def _temp_copy(directory: Path, name: str, data: bytes) -> Path:
    """`data` in a durable temp file next to its final name (same file system: the rename
    is atomic)."""
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        os.fchmod(handle, FILE_MODE)  # mkstemp makes 0600
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _sync_dir(directory: Path) -> None:
    """Make the renames in `directory` durable (POSIX; a no-op where dirs cannot be opened)."""
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_temp_copy(path.parent, path.name, data), path)
    _sync_dir(path.parent)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_file_set(directory: Path, files: Mapping[str, bytes],
                   about: Mapping[str, Any]) -> None:
    """All of `files` into `directory`, then the manifest naming each with its size and
    sha256. Every temp file is durable before the first rename, and the old manifest goes
    first: a reader never sees a manifest vouching for a mix of two sets."""
    directory.mkdir(parents=True, exist_ok=True)
    temps: dict[str, Path] = {}
    try:
        for name, data in files.items():
            temps[name] = _temp_copy(directory, name, data)
        (directory / MANIFEST).unlink(missing_ok=True)
        _sync_dir(directory)
        for name, tmp in temps.items():
            os.replace(tmp, directory / name)
        _sync_dir(directory)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    manifest = {"schema": MANIFEST_SCHEMA, "version": 1, **about,
                "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                          for name, data in files.items()}}
    write_json_atomic(directory / MANIFEST, manifest)


def finished_set(directory: Path) -> bool:
    """True when `directory` holds a whole set: the manifest, and every file it names with
    the size it names (hashing big reports is left to whoever needs that certainty)."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        listed: dict[str, Any] = manifest["files"]
        return manifest.get("schema") == MANIFEST_SCHEMA and all(
            (directory / name).stat().st_size == entry["bytes"]
            for name, entry in listed.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def read_report(path: Path) -> dict[str, Any]:
    """A run directory's (or a file's) report.json, checked against the report schema."""
    from reports.report_schema import check_report
    from sim.errors import ConfigError

    target = path / "report.json" if path.is_dir() else path
    try:
        data = json.loads(target.read_bytes())
    except FileNotFoundError:
        raise ConfigError("RUN", "no report.json there", source=str(target)) from None
    except (OSError, ValueError) as exc:
        raise ConfigError("RUN", f"not a readable report.json ({exc})",
                          source=str(target)) from None
    except RecursionError:
        raise ConfigError("RUN", "not a report.json (nested too deeply)",
                          source=str(target)) from None
    return check_report(data, str(target))
