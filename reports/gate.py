"""The statistical gate (pure): is B worse than A, judged on every request's latency and on
the counts, with a confidence interval per check and a verdict that may be
"inconclusive" (the data cannot decide) instead of a false PASS or FAIL.

Input is one `RoundData` per round per side: what one run (or one round of `sim ab`)
measured, split by phase. The methods are in reports.gate_stats; the allowances in
scenarios.gate_rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reports.gate_stats import (
    BATCH_WINDOWS,
    MIN_ROUNDS,
    RESAMPLES,
    SEED,
    Interval,
    bootstrap_latency,
    mann_whitney_p,
    proportion_difference,
    rate_difference,
    rounds_interval,
    widen,
)
from reports.stats import DEGRADED, FAILED, Sample, percentile, samples_from_raw
from scenarios.gate_rules import GateRules

ALL = "all"


@dataclass(frozen=True)
class RoundData:
    """One run's measurements: latencies (s) per scope (each phase, and "all" when there
    are several) and per time window, failed and degraded counts per scope, calls and
    attempts per downstream, breaker opens per downstream."""

    latencies: Mapping[str, Mapping[int, Sequence[float]]]  # scope -> window -> latencies
    failed: Mapping[str, int]
    degraded: Mapping[str, int]
    calls: Mapping[str, tuple[int, int]]
    opens: Mapping[str, int]


def round_data(report: Mapping[str, Any], raw: Mapping[str, Any],
               window: float | None = None) -> RoundData:
    """From a report.json and the samples.json of the same run. With `window` (seconds),
    latencies are grouped by the wall-clock window their request started in: when A and B
    ran at the same time, the gate compares them window by window, so noise that came
    and went hit both sides of each comparison alike. Without it, one group."""
    armed = raw.get("armed_at") or 0.0
    samples = samples_from_raw(raw.get("samples", []), armed)
    bounds = [(p["name"], p["start"], p["end"]) for p in report["phases"]]
    scopes: dict[str, list[Sample]] = {
        name: [s for s in samples if start <= s.t < end] for name, start, end in bounds}
    if len(bounds) > 1:
        scopes[ALL] = [s for s in samples if bounds[0][1] <= s.t < bounds[-1][2]]
    return RoundData(
        latencies={k: _windows(v, armed, window) for k, v in scopes.items()},
        failed={k: sum(s.outcome == FAILED for s in v) for k, v in scopes.items()},
        degraded={k: sum(s.outcome == DEGRADED for s in v) for k, v in scopes.items()},
        calls={name: (int(d["calls"]), int(d["attempts"]))
               for name, d in report.get("downstreams", {}).items() if d.get("calls")},
        opens={name: int(s.get("opens", 0)) for name, s in report.get("scoring", {}).items()})


def _windows(samples: Sequence[Sample], armed: float, window: float | None
             ) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for sample in samples:
        key = int((sample.t + armed) // window) if window else 0
        out.setdefault(key, []).append(sample.latency)
    return out


def _count(data: RoundData, scope: str) -> int:
    return sum(len(v) for v in data.latencies.get(scope, {}).values())


def _fmt(value: float, unit: str, signed: bool = False) -> str:
    sign = "+" if signed else ""
    if unit == "s":
        return f"{value * 1000:{sign}.1f} ms" if abs(value) < 10 else f"{value:{sign}.2f} s"
    if unit == "ratio":
        return f"{value * 100:{sign}.2f}%" if not signed else f"{value * 100:+.2f} points"
    return f"{value:{sign}.2f}"


def _interval_text(interval: Interval, unit: str) -> str:
    def bare(v: float) -> str:
        if v in (float("inf"), float("-inf")):
            return f"{'+' if v > 0 else '-'}inf"
        text = _fmt(v, unit, signed=True)
        return text.split(" ")[0] if unit in ("s", "ratio") else text

    return f"{_fmt(interval.estimate, unit, signed=True)} [{bare(interval.low)}, " \
           f"{bare(interval.high)}]"


SEPARATE_RUNS = ("separate runs: the machine may have differed between them, which one "
                 "run each cannot measure; `sim ab` decides")


def _check(check_id: str, metric: str, scope: str, unit: str, a: float, b: float,
           interval: Interval, allowed: float, allowed_text: str,
           extra: Mapping[str, Any] | None = None, undecidable: str | None = None
           ) -> dict[str, Any]:
    verdict = "inconclusive" if undecidable else interval.verdict(allowed)
    rule = (f"{check_id} {_interval_text(interval, unit)} (A {_fmt(a, unit)}, "
            f"B {_fmt(b, unit)}; allowed {allowed_text}): "
            f"{'FAIL' if verdict == 'fail' else verdict}"
            f"{f' ({undecidable})' if undecidable else ''}")
    return {"id": check_id, "metric": metric, "scope": scope, "unit": unit, "a": a, "b": b,
            "estimate": interval.estimate, "low": interval.low, "high": interval.high,
            "allowed": allowed, "verdict": verdict, "passed": verdict != "fail",
            "rule": rule, **(extra or {})}


def _missing(check_id: str, metric: str, scope: str, why: str) -> dict[str, Any]:
    return {"id": check_id, "metric": metric, "scope": scope, "unit": "", "a": None,
            "b": None, "estimate": None, "low": None, "high": None, "allowed": None,
            "verdict": "fail", "passed": False, "rule": f"{check_id}: {why}"}


def _scopes(a: Sequence[RoundData]) -> list[str]:
    names = list(dict.fromkeys(k for r in a for k in r.latencies))
    return [ALL, *[n for n in names if n != ALL]] if ALL in names else names


def _latency_checks(a: Sequence[RoundData], b: Sequence[RoundData], rules: GateRules,
                    paired: bool) -> Iterator[dict[str, Any]]:
    # Latency moves with the machine. Side by side, A and B share it; in rounds (3 or
    # more) its drift is in the spread between them; one separate run each cannot tell
    # the machine from the code, so the numbers are shown and no verdict is given.
    undecidable = None if paired or len(a) >= MIN_ROUNDS else SEPARATE_RUNS
    for scope in _scopes(a):
        strata_a, strata_b = _strata(a, b, scope)
        count_a = sum(len(w) for r in strata_a for w in r)
        count_b = sum(len(w) for r in strata_b for w in r)
        if not count_a:
            continue
        if not count_b:
            yield _missing(f"latency[{scope}]", "latency", scope,
                           f"B made no requests in {scope} (A made {count_a})")
            continue
        results = bootstrap_latency(strata_a, strata_b, rules.confidence,
                                    batch=BATCH_WINDOWS if paired else None)
        p_value = mann_whitney_p([x for r in strata_a for w in r for x in w],
                                 [x for r in strata_b for w in r for x in w])
        for stat, (value_a, value_b, interval) in results.items():
            allowance = rules.allowance(stat)
            yield _check(f"{stat}[{scope}]", stat, scope, "s", value_a, value_b, interval,
                         allowance.limit(value_a), allowance.describe("s"),
                         {"mann_whitney_p": p_value} if stat == "p50" else None,
                         undecidable)


Strata = list[list[Sequence[float]]]


def _strata(a: Sequence[RoundData], b: Sequence[RoundData], scope: str
            ) -> tuple[Strata, Strata]:
    """The same strata on both sides: per round, per time window."""
    strata_a: Strata = []
    strata_b: Strata = []
    for ra, rb in zip(a, b, strict=True):
        wa, wb = ra.latencies.get(scope, {}), rb.latencies.get(scope, {})
        keys = sorted(set(wa) | set(wb))
        strata_a.append([wa.get(key, ()) for key in keys])
        strata_b.append([wb.get(key, ()) for key in keys])
    return strata_a, strata_b


def _ratio_checks(a: Sequence[RoundData], b: Sequence[RoundData], rules: GateRules
                  ) -> Iterator[dict[str, Any]]:
    scope = ALL if any(ALL in r.latencies for r in a) else next(iter(_scopes(a)), ALL)
    total_a = sum(_count(r, scope) for r in a)
    total_b = sum(_count(r, scope) for r in b)
    if not total_a or not total_b:
        return
    for metric, attr in (("error_ratio", "failed"), ("degraded_ratio", "degraded")):
        per_a = [getattr(r, attr).get(scope, 0) for r in a]
        per_b = [getattr(r, attr).get(scope, 0) for r in b]
        hits_a, hits_b = sum(per_a), sum(per_b)
        within = proportion_difference(hits_a, total_a, hits_b, total_b, rules.confidence)
        diffs = [hb / _count(rb, scope) - ha / _count(ra, scope)
                 for ha, hb, ra, rb in zip(per_a, per_b, a, b, strict=True)
                 if _count(ra, scope) and _count(rb, scope)]
        interval = widen(within, rounds_interval(diffs, rules.confidence))
        allowance = rules.allowance(metric)
        yield _check(f"{metric}[{scope}]", metric, scope, "ratio", hits_a / total_a,
                     hits_b / total_b, interval, allowance.limit(0.0),
                     allowance.describe("ratio"),
                     {"counts": {"a": [hits_a, total_a], "b": [hits_b, total_b]}})


def _downstream_checks(a: Sequence[RoundData], b: Sequence[RoundData], rules: GateRules
                       ) -> Iterator[dict[str, Any]]:
    names = sorted({n for r in a for n in r.calls} | {n for r in b for n in r.calls})
    for name in names:
        # Attempts per call beyond the first: retries add some, calls a breaker or a
        # bulkhead answered without an attempt take some away (so it can be negative).
        side_a = [r.calls.get(name, (0, 0)) for r in a]
        side_b = [r.calls.get(name, (0, 0)) for r in b]
        calls_a, calls_b = sum(c for c, _ in side_a), sum(c for c, _ in side_b)
        tries_a, tries_b = sum(t for _, t in side_a), sum(t for _, t in side_b)
        if not calls_a or not calls_b:
            continue
        within = rate_difference(tries_a - calls_a, calls_a, tries_b - calls_b, calls_b,
                                 rules.confidence)
        diffs = [tb / cb - ta / ca for (ca, ta), (cb, tb) in zip(side_a, side_b, strict=True)
                 if ca and cb]
        interval = widen(within, rounds_interval(diffs, rules.confidence))
        yield _check(f"amplification[{name}]", "amplification", name, "x", tries_a / calls_a,
                     tries_b / calls_b, interval, rules.amplification.limit(0.0),
                     rules.amplification.describe(""))
    for name in sorted({n for r in a for n in r.opens} | {n for r in b for n in r.opens}):
        opens_a = sum(r.opens.get(name, 0) for r in a)
        opens_b = sum(r.opens.get(name, 0) for r in b)
        if not opens_a and not opens_b:
            continue  # nothing opened on either side: nothing to compare
        within = rate_difference(opens_a, len(a), opens_b, len(b), rules.confidence)
        diffs = [rb.opens.get(name, 0) - ra.opens.get(name, 0)
                 for ra, rb in zip(a, b, strict=True)]
        interval = widen(within, rounds_interval(diffs, rules.confidence))
        yield _check(f"breaker_opens[{name}]", "breaker_opens", name, "x",
                     opens_a / len(a), opens_b / len(b), interval,
                     rules.breaker_opens.limit(0.0),
                     rules.breaker_opens.describe("") + " per round")


def gate(a: Sequence[RoundData], b: Sequence[RoundData], rules: GateRules,
         strict: bool = False, paired: bool = False) -> dict[str, Any]:
    """Every check, and the overall verdict: fail on any regression; inconclusive when
    some check cannot be decided (a failure too with `strict`); else pass. `paired`: A
    and B ran side by side, so their time windows are the same seconds."""
    checks = [*_latency_checks(a, b, rules, paired), *_ratio_checks(a, b, rules),
              *_downstream_checks(a, b, rules)]
    verdicts = {c["verdict"] for c in checks}
    verdict = "fail" if "fail" in verdicts else \
        "inconclusive" if "inconclusive" in verdicts else "pass"
    rounds = f"{len(a)} round{'s' if len(a) > 1 else ''}"
    notes = [] if len(a) >= MIN_ROUNDS else [
        f"{rounds}: the intervals of counts hold the noise within a run only; "
        f"{MIN_ROUNDS} rounds or more also cover the spread between rounds"]
    if not paired and len(a) < MIN_ROUNDS:
        notes.append(f"{rounds} of separate runs: latencies are shown with their intervals "
                     f"but not judged (inconclusive), because the machine may have "
                     f"differed between the runs; `sim ab` runs A and B at once")
    blocks = (f"paired blocks of {BATCH_WINDOWS} s (the same seconds of A and B) of "
              f"each round" if paired else "rounds")
    return {"checks": checks, "verdict": verdict, "strict": strict, "notes": notes,
            "passed": verdict == "pass" or (verdict == "inconclusive" and not strict),
            "rules": rules.to_dict(), "rounds": {"a": len(a), "b": len(b)},
            "method": {"latency": "percentile bootstrap of B - A, stratified by round and "
                                  "time window",
                       "blocks": f"every latency interval also holds the t interval of "
                                 f"the mean per-block difference over {blocks} "
                                 f"(batch means; {MIN_ROUNDS} blocks or more)",
                       "rounds": f"with {MIN_ROUNDS} rounds or more, every count interval "
                                 "also holds the paired t interval of the per-round "
                                 "differences",
                       "resamples": RESAMPLES, "seed": SEED,
                       "confidence": rules.confidence,
                       "ratios": "Newcombe hybrid score interval",
                       "rates": "normal interval of a Poisson rate difference (+0.5)",
                       "second_opinion": "Mann-Whitney U, one-sided (B larger)"}}


def round_spread(a: Sequence[RoundData], b: Sequence[RoundData]) -> list[dict[str, Any]]:
    """Per round, p50 and p95 of A and of B over the whole run: how much rounds differ."""
    rows = []
    for index, (ra, rb) in enumerate(zip(a, b, strict=False), start=1):
        scope = ALL if ALL in ra.latencies else next(iter(ra.latencies), ALL)
        la = sorted(x for w in ra.latencies.get(scope, {}).values() for x in w)
        lb = sorted(x for w in rb.latencies.get(scope, {}).values() for x in w)
        rows.append({"round": index, "requests_a": len(la), "requests_b": len(lb),
                     "a_p50": percentile(la, 50), "b_p50": percentile(lb, 50),
                     "a_p95": percentile(la, 95), "b_p95": percentile(lb, 95)})
    return rows
