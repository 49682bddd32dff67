"""BFF throughput side by side, in one run: this tree, the last main before issue #13
(OLD_REF, its BFF against its own simulator), a reference aggregator written the book's
way, and the physical limit of this design.

Every BFF runs in its own process (benchmarks/bff_server.py, resilient preset; the old
one from a `git archive` of OLD_REF with PYTHONPATH pointing at it, in this environment's
packages), no faults, 10 products. wrk drives each in turn (rounds alternate, medians
kept) and counts complete answers (benchmarks/complete.lua): a saturated BFF answers
fast with fallbacks, which are not throughput. Targets: this BFF at least 3x OLD_REF's
complete answers/s, at least 2.5x the book-style aggregator's at an equal or better p99,
and at least 60% of the physical limit.

The physical limit, measured with the cheapest paths there are: one BFF request is one
server request plus 13 client requests (product list, 10 inventory calls, favorites,
cart). Server: a bare asyncio.Protocol + httptools handler under wrk (its process's CPU
per request); client: bff.transport, one keep-alive pool, JSON decoded
(benchmarks/cost_client.py against that server). A BFF process with a core of its own
cannot beat 1 / (server + 13 x client) requests/s.

--also REF adds REF's BFF against this tree's simulator (e.g. the commit before a change
to the BFF's pipeline: its CPU per request next to this tree's, in the same run).

Usage: .venv/bin/python benchmarks/bench_bff.py [--seconds 5] [--rounds 3] [--also REF]
       [--old-ref REF] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path

from harness import (
    CALLS_PER_BFF_REQUEST,
    OLD_REF,
    extract_ref,
    ok,
    publish,
    run_client,
    sim_urls,
    start_script,
    start_sim,
    stop,
    tree_sim_command,
    wrk,
    wrk_with_cpu,
)

from sim import SERVICES

Row = tuple[str, str, str]


def start_bffs(tmp: Path, options: argparse.Namespace,
               processes: list[subprocess.Popen[str]]) -> dict[str, tuple[str, int]]:
    """Simulators and BFFs; returns {name: (url, pid)}; every process goes in `processes`."""
    old_root = extract_ref(options.old_ref, tmp / "old")
    processes.append(start_sim(tmp / "ready.json", False))
    processes.append(start_sim(tmp / "old-ready.json", False,
                               command=tree_sim_command(old_root)))
    new = [sim_urls(tmp / "ready.json")[s] for s in SERVICES]
    old = [sim_urls(tmp / "old-ready.json")[s] for s in SERVICES]
    bffs = {"ours": ("bff_server.py", ("resilient", *new), None),
            "old": ("bff_server.py", ("resilient", *old), old_root),
            "old_bff": ("bff_server.py", ("resilient", *new), old_root),
            "book": ("book_bff.py", tuple(new), None)}
    if options.also:
        bffs["also"] = ("bff_server.py", ("resilient", *new), extract_ref(options.also,
                                                                           tmp / "also"))
    started: dict[str, tuple[str, int]] = {}
    for name, (script, args, root) in bffs.items():
        process, port = start_script(script, *args, **({"root": root} if root else {}))
        processes.append(process)
        started[name] = (f"http://127.0.0.1:{port}/products/all", process.pid)
    return started


def measure(tmp: Path, options: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    seconds, conns = options.seconds, options.connections
    processes: list[subprocess.Popen[str]] = []
    try:
        bffs = start_bffs(tmp, options, processes)
        bare, bare_port = start_script("bare_server.py", "protocol")
        processes.append(bare)
        bare_url = f"http://127.0.0.1:{bare_port}/products/1/inventory"
        results: dict[str, list[dict[str, float]]] = {name: [] for name in bffs}
        results.update(server=[], client=[])
        for url, _ in bffs.values():
            wrk(url, 1, conns)  # warm up: connections, caches
        wrk(bare_url, 1, conns)
        for _ in range(options.rounds):
            for name, (url, pid) in bffs.items():
                results[name].append(wrk_with_cpu(url, seconds, conns, pid, complete=True))
            results["server"].append(wrk_with_cpu(bare_url, seconds, conns, bare.pid))
            results["client"].append(run_client("cost_client.py", bare_url, "--seconds",
                                                str(seconds), "--concurrency", str(conns),
                                                "--rounds", "1"))
        return results
    finally:
        stop(*processes)


def table(results: dict[str, list[dict[str, float]]], old_ref: str,
          also: str | None) -> list[Row]:
    def median(name: str, key: str) -> float:
        return statistics.median(r.get(key, 0.0) for r in results[name])

    def bff_row(name: str, label: str) -> Row:
        return (f"{label}: complete answers/s", f"{median(name, 'complete_rps'):,.0f}",
                f"{median(name, 'complete_share'):.0%} of {median(name, 'rps'):,.0f} "
                f"answers/s complete; p50 {median(name, 'p50_ms'):.1f} ms, p99 "
                f"{median(name, 'p99_ms'):.1f} ms; CPU {median(name, 'cpu_per_request_us'):,.0f}"
                f" us per answer, its process at {median(name, 'cpu_share'):.0%} of a core")

    def comparable(name: str) -> str:
        """A ratio of complete answers/s is throughput only while both BFFs keep up."""
        share = min(median("ours", "complete_share"), median(name, "complete_share"))
        return "" if share >= 0.9 else (
            f"; NOT a throughput ratio: only {share:.0%} of one side's answers were "
            "complete (the machine starved it into timeouts and fallbacks)")

    ours = median("ours", "complete_rps")
    to_old, to_book = ours / median("old", "complete_rps"), ours / median("book",
                                                                          "complete_rps")
    p99_ok = median("ours", "p99_ms") <= median("book", "p99_ms")
    server_us, client_us = median("server", "cpu_per_request_us"), median(
        "client", "cpu_per_request_us")
    limit_us = server_us + CALLS_PER_BFF_REQUEST * client_us
    ours_us = median("ours", "cpu_per_request_us")
    efficiency = limit_us / ours_us
    rows = [
        bff_row("ours", "this BFF (resilient) on this simulator"),
        bff_row("old", f"{old_ref} (before #13): its BFF on its simulator"),
        bff_row("old_bff", f"{old_ref}'s BFF on this simulator"),
        bff_row("book", "book-style aggregator on this simulator"),
        ("this BFF / before #13", f"{to_old:.2f}x",
         f"complete answers/s; target >= 3x: {ok(to_old >= 3 and not comparable('old'))}"
         f"; CPU per answer {ours_us / median('old', 'cpu_per_request_us'):.2f}x"
         f"{comparable('old')}"),
        ("this BFF / book-style", f"{to_book:.2f}x",
         "target >= 2.5x at equal or better p99: "
         f"{ok(to_book >= 2.5 and p99_ok and not comparable('book'))}{comparable('book')}"),
        ("server request (asyncio.Protocol + httptools), CPU", f"{server_us:,.1f} us",
         "bare handler under wrk"),
        ("client request (bff.transport), CPU", f"{client_us:,.1f} us",
         "one keep-alive pool, JSON decoded; aiohttp's ClientSession in the same run: "
         f"{statistics.median(r['aiohttp']['cpu_per_request_us'] for r in results['client']):,.1f}"  # type: ignore[index]
         " us"),
        ("physical limit, one core", f"{1e6 / limit_us:,.0f} req/s",
         f"1 / (server + {CALLS_PER_BFF_REQUEST} x client) = 1 / {limit_us:,.0f} us"),
        ("this BFF, CPU per answer vs the limit", f"{efficiency:.0%}",
         f"{limit_us:,.0f} / {ours_us:,.0f} us; target >= 60%: {ok(efficiency >= 0.6)}"),
        ("this BFF, answers/s vs the limit", f"{ours / (1e6 / limit_us):.0%}",
         "below the CPU figure when the BFF gets less than a core of this shared machine"),
    ]
    if also:
        also_us = median("also", "cpu_per_request_us")
        rows.insert(4, bff_row("also", f"{also}'s BFF on this simulator"))
        rows.insert(7, (f"this BFF / {also}: CPU per answer", f"{ours_us / also_us:.2f}x",
                        f"{ours_us:,.0f} vs {also_us:,.0f} us; answers/s "
                        f"{ours / median('also', 'complete_rps'):.2f}x"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--old-ref", default=OLD_REF)
    parser.add_argument("--also", help="another commit's BFF, against this simulator")
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(Path(tmp), options)
    details = (f"wrk -t1 -c{options.connections}, {options.rounds} rounds x "
               f"{options.seconds:g} s, 10 products, no faults")
    publish("bff", list(table(results, options.old_ref, options.also)), details,
            options.write)


if __name__ == "__main__":
    main()
