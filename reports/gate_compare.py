"""`sim compare A B`: two recorded runs (run directories, report.json files or history
ids), judged by the statistical gate when both kept their samples (samples.json next to
report.json), else by the older fixed-tolerance rules of reports.baseline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.baseline import compare as compare_fixed
from reports.files import read_report
from reports.gate import gate, round_data
from reports.history import DEFAULT_DB, run_path
from scenarios.gate_rules import parse_allow_options, parse_gate
from sim.errors import ConfigError


@dataclass(frozen=True)
class Run:
    spec: str  # as the user gave it
    path: Path  # the report.json
    report: dict[str, Any]
    samples: dict[str, Any] | None  # samples.json, if the run kept it


def load_run(spec: str, label: str, history: Path = DEFAULT_DB) -> Run:
    path = Path(spec)
    if spec.isdigit() and not path.exists():
        from sim import aio

        found = aio.run(run_path(history, int(spec)))
        if found is None:
            raise ConfigError(label, f"no run with history id {spec} in {history} "
                                     f"(`sim history` lists them)")
        path = found
    report = read_report(path)
    report_file = path / "report.json" if path.is_dir() else path
    try:
        samples: dict[str, Any] | None = json.loads(
            (report_file.parent / "samples.json").read_text())
    except (OSError, ValueError):
        samples = None
    return Run(spec, report_file, report, samples)


def compare_runs(a: Run, b: Run, *, force: bool = False, allow: Sequence[str] = (),
                 strict: bool = False) -> dict[str, Any]:
    name_a, name_b = a.report["scenario"]["name"], b.report["scenario"]["name"]
    notes = []
    if name_a != name_b:
        if not force:
            raise ConfigError("B", f"A is scenario {name_a!r}, B is {name_b!r}: comparing "
                                   f"different scenarios says nothing (--force to do it "
                                   f"anyway)")
        notes.append(f"different scenarios ({name_a} vs {name_b}), compared with --force")
    variants = [{"label": label, "run": str(run.path), "policy": run.report["policy"]["name"],
                 "scenario": run.report["scenario"]["name"]}
                for label, run in (("A", a), ("B", b))]
    if a.samples is None or b.samples is None:
        fixed = compare_fixed(a.report, b.report)
        missing = " and ".join(label for label, run in (("A", a), ("B", b))
                               if run.samples is None)
        fixed["notes"] = [*notes, *fixed["notes"],
                          f"{missing} kept no samples.json: fixed tolerances, no intervals"]
        return {"kind": "fixed", "variants": variants, **fixed}
    rules = parse_allow_options(parse_gate(b.report["scenario"].get("gate")), allow)
    result = gate([round_data(a.report, a.samples)], [round_data(b.report, b.samples)],
                  rules, strict)
    notes.append("two separate runs: noise that differed between them is not in the "
                 "intervals; `sim ab` runs both at once, in rounds")
    return {"kind": "gate", "variants": variants, **result,
            "notes": [*notes, *result["notes"]]}
