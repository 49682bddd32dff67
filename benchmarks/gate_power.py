"""How often the A/B gate is wrong: its false-alarm rate over A/A comparisons (the same
configuration on both sides, with a CPU hog busy on one core) and the smallest
regression it catches (B gets a fixed latency added on products: 1, 2, 5, 10 ms).

Every comparison is one `sim ab` run (side by side, `--rounds` rounds of `--round`
seconds: about 55 s of wall time per run with the defaults), through the same code path
as the command line. A run "detects" a regression when its verdict is FAIL; the p50 and
p95 columns count the runs whose p50 / p95 check of the whole run (`[all]`) failed.

Usage: .venv/bin/python benchmarks/gate_power.py [--count 20] [--levels 1,2,5,10]
           [--rounds 3] [--round 15s] [--scenario baseline] [--policy naive]
           [--hog aa|all|none] [--out DIR] [--write] [--reanalyze]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness import ROOT, publish
from rich.console import Console

from reports.gate import RoundData, gate, round_data
from scenarios.ab_command import AbRequest, ab_command
from scenarios.ab_round import WINDOW
from scenarios.gate_rules import GateRules
from scenarios.loader import load_scenario
from scenarios.model import Scenario
from sim.durations import parse_duration
from sim.plan import parse_service_faults

HOG = "import os\nos.sched_setaffinity(0, {0})\nwhile True:\n    pass\n"


def with_products_latency(scenario: Scenario, ms: float) -> Scenario:
    """The same scenario with a fixed delay added to every products answer."""
    added = parse_service_faults({"products": [{"type": "latency", "delay": f"{ms}ms"}]},
                                 "faults")["products"]
    base = dict(scenario.base_faults)
    base["products"] = (*base.get("products", ()), *added)
    return replace(scenario, base_faults=base)


@contextlib.contextmanager
def cpu_hog(enabled: bool) -> Any:
    """A busy loop pinned to CPU 0 for the duration (a neighbour stealing one core)."""
    if not enabled:
        yield
        return
    process = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        yield
    finally:
        process.kill()
        process.wait()


def _row(result: dict[str, Any], code: int, wall: float, noise: Any) -> dict[str, Any]:
    """What the table needs of one run: its verdict and its whole-run p50/p95 checks."""
    checks = {c["id"]: c for c in result["checks"]}
    row = {"code": code, "verdict": result["verdict"], "wall": wall, "noise": noise}
    for stat in ("p50", "p95"):
        check = checks.get(f"{stat}[all]", {})
        row[stat] = {k: check.get(k) for k in ("verdict", "estimate", "low", "high")}
    return row


def one_run(scenario: Scenario, scenario_b: Scenario, out: Path, rounds: int,
            seed: int, policy: str | None) -> dict[str, Any]:
    request = AbRequest(scenario, policy, policy, seed=seed, out=out, rounds=rounds)
    quiet = Console(file=io.StringIO(), width=160)
    started = time.monotonic()
    code = ab_command(request, quiet, scenario_b)
    result: dict[str, Any] = json.loads((out / "ab.json").read_text())
    return _row(result, code, time.monotonic() - started, result["noise"])


def reanalyze(out: Path) -> dict[str, Any]:
    """The verdict of a finished run again, from its rounds' files, with today's gate."""
    rounds: dict[str, list[RoundData]] = {"a": [], "b": []}
    for round_dir in sorted(out.glob("round-*"), key=lambda p: int(p.name.split("-")[1])):
        for side, data in rounds.items():
            report = json.loads((round_dir / side / "report.json").read_text())
            raw = json.loads((round_dir / side / "samples.json").read_text())
            data.append(round_data(report, raw, WINDOW))
    old = json.loads((out / "ab.json").read_text())
    result = gate(rounds["a"], rounds["b"], GateRules(), paired=True)
    row = _row(result, 0 if result["passed"] else 1, old["wall_seconds"], old["noise"])
    failed = [c["id"] for c in result["checks"] if c["verdict"] == "fail"]
    print(f"{out}: {result['verdict']} {failed}", file=sys.stderr)
    return row


def summarize(label: str, rows: list[dict[str, Any]]) -> tuple[str, ...]:
    count = len(rows)
    fails = sum(r["verdict"] == "fail" for r in rows)
    undecided = sum(r["verdict"] == "inconclusive" for r in rows)
    p50 = sum(r["p50"]["verdict"] == "fail" for r in rows)
    p95 = sum(r["p95"]["verdict"] == "fail" for r in rows)

    def median(stat: str, of: Any) -> float | None:
        values = sorted(of(r[stat]) for r in rows if r[stat]["estimate"] is not None)
        return values[len(values) // 2] if values else None

    est = median("p50", lambda c: c["estimate"] * 1000)
    width = median("p50", lambda c: (c["high"] - c["low"]) * 500)
    est95 = median("p95", lambda c: c["estimate"] * 1000)
    width95 = median("p95", lambda c: (c["high"] - c["low"]) * 500)
    busy = [r["noise"]["cpu_busy"]["mean"] for r in rows if r["noise"].get("cpu_busy")]
    wall = max((r["wall"] for r in rows), default=0.0)
    return (label, f"{fails}/{count}", f"{undecided}/{count}", f"{p50}/{count}",
            f"{p95}/{count}",
            "-" if est is None else f"{est:+.1f} ±{width:.1f}",
            "-" if est95 is None else f"{est95:+.1f} ±{width95:.1f}",
            f"{sum(busy) / len(busy) * 100:.0f}%" if busy else "-", f"{wall:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="A/B runs per level")
    parser.add_argument("--levels", default="1,2,5,10", help="ms added to products in B")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--round", default="15s", help="length of each round")
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--policy", help="both sides' preset (default: the scenario's)")
    parser.add_argument("--hog", choices=("aa", "all", "none"), default="aa",
                        help="run a CPU hog on core 0 during the A/A runs, all runs, none")
    parser.add_argument("--skip-aa", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "gate-power")
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument("--reanalyze", action="store_true",
                        help="no new runs: judge the runs under --out again")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario).with_duration(parse_duration(args.round, "--round"))
    levels = [("A/A (same config)", 0.0)] if not args.skip_aa else []
    levels += [(f"+{float(ms):g} ms on products", float(ms))
               for ms in args.levels.split(",") if ms]
    table, raw = [], {}
    for label, ms in levels:
        b = with_products_latency(scenario, ms) if ms else scenario
        rows = []
        hog = args.hog == "all" or (args.hog == "aa" and not ms)
        with cpu_hog(hog and not args.reanalyze):
            for index in range(args.count):
                out = args.out / (f"{ms:g}ms" if ms else "aa") / f"run-{index + 1}"
                if args.reanalyze:
                    if (out / "ab.json").exists():
                        rows.append(reanalyze(out))
                    continue
                rows.append(one_run(scenario, b, out, args.rounds, scenario.seed + 100 * index,
                                    args.policy))
                print(f"{label} run {index + 1}: {rows[-1]['verdict']} p50 "
                      f"{rows[-1]['p50']}", file=sys.stderr, flush=True)
        raw[label] = rows
        if rows:
            table.append(summarize(label, rows))
    args.out.mkdir(parents=True, exist_ok=True)
    name = "gate-power-reanalyzed.json" if args.reanalyze else "gate-power.json"
    (args.out / name).write_text(json.dumps(raw, indent=1))
    hog = {"aa": "CPU hog on core 0 during A/A", "all": "CPU hog on core 0 throughout",
           "none": "no hog"}[args.hog]
    policy = f" (policy {args.policy})" if args.policy else ""
    section = f"gate-{args.policy}" if args.policy else "gate"
    details = (f"{args.scenario}{policy}, {args.count} runs per row, {args.rounds} rounds "
               f"x {args.round} side by side, {hog}")
    publish(section, table, details,
            args.write, headers=("B", "verdict FAIL", "inconclusive", "p50 FAIL", "p95 FAIL",
                                 "median p50 B - A ± half interval (ms)",
                                 "median p95 B - A ± half interval (ms)",
                                 "CPU busy", "longest run"))


if __name__ == "__main__":
    main()
