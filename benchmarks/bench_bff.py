"""BFF throughput against a reference aggregator written the book's way and against the
physical limit of this design, all measured in one run.

Both BFFs run in their own process against the same simulator process (no faults, 10
products); wrk drives each in turn (rounds alternate, medians kept). Targets: this BFF at
least 2.5x the reference's requests/s at equal or better p99, and at least 60% of the
physical limit.

The physical limit: one BFF request is one aiohttp server request plus 13 client requests
of the BFF's own client, bff.transport (product list, 10 inventory calls, favorites,
cart). The CPU cost of each is measured in the same run: a bare aiohttp server under wrk
(server CPU per request), and bff.transport with one keep-alive pool calling that server
(client CPU per request; aiohttp's ClientSession measured beside it for comparison).
A BFF process with a core to itself cannot beat 1 / (server + 13 x client) requests/s.

Usage: .venv/bin/python benchmarks/bench_bff.py [--seconds 5] [--rounds 3] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from harness import (
    CALLS_PER_BFF_REQUEST,
    ok,
    publish,
    run_client,
    sim_urls,
    start_script,
    start_sim,
    stop,
    wrk,
    wrk_with_cpu,
)

from sim import SERVICES


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args()
    seconds, conns = options.seconds, options.connections
    results: dict[str, list[dict[str, float]]] = {"ours": [], "book": [], "server": [],
                                                   "client": []}
    with tempfile.TemporaryDirectory() as tmp:
        sim = start_sim(Path(tmp) / "ready.json", False)
        urls = sim_urls(Path(tmp) / "ready.json")
        downstreams = [urls[s] for s in SERVICES]
        ours, our_port = start_script("bff_server.py", "resilient", *downstreams)
        book, book_port = start_script("book_bff.py", *downstreams)
        bare, bare_port = start_script("bare_server.py")
        try:
            our_url = f"http://127.0.0.1:{our_port}/products/all"
            book_url = f"http://127.0.0.1:{book_port}/products/all"
            bare_url = f"http://127.0.0.1:{bare_port}/products/1/inventory"
            for url in (our_url, book_url, bare_url):
                wrk(url, 1, conns)  # warm up
            for _ in range(options.rounds):
                results["ours"].append(wrk_with_cpu(our_url, seconds, conns, ours.pid))
                results["book"].append(wrk(book_url, seconds, conns))
                results["server"].append(wrk_with_cpu(bare_url, seconds, conns, bare.pid))
                results["client"].append(run_client("cost_client.py", bare_url, "--seconds",
                                                    str(seconds), "--concurrency", str(conns)))
        finally:
            stop(ours, book, bare, sim)

    def median(name: str, key: str) -> float:
        return statistics.median(r.get(key, 0.0) for r in results[name])

    ratio = median("ours", "rps") / median("book", "rps")
    p99_ok = median("ours", "p99_ms") <= median("book", "p99_ms")
    server_us, client_us = median("server", "cpu_per_request_us"), median("client",
                                                                          "cpu_per_request_us")
    aiohttp_us = statistics.median(r["aiohttp"]["cpu_per_request_us"]  # type: ignore[index]
                                   for r in results["client"])
    limit_us = server_us + CALLS_PER_BFF_REQUEST * client_us
    ours_us = median("ours", "cpu_per_request_us")
    limit_rps = 1e6 / limit_us
    efficiency = limit_us / ours_us
    rows = [
        ("this BFF (resilient), req/s", f"{median('ours', 'rps'):,.0f}",
         f"p50 {median('ours', 'p50_ms'):.1f} ms, p99 {median('ours', 'p99_ms'):.1f} ms; "
         f"its process at {median('ours', 'cpu_share'):.0%} of a core"),
        ("book-style aggregator, req/s", f"{median('book', 'rps'):,.0f}",
         f"p50 {median('book', 'p50_ms'):.1f} ms, p99 {median('book', 'p99_ms'):.1f} ms"),
        ("throughput ratio", f"{ratio:.2f}x",
         f"target >= 2.5x at equal or better p99: {ok(ratio >= 2.5 and p99_ok)}"),
        ("aiohttp server request, CPU", f"{server_us:,.1f} us", "bare handler under wrk"),
        ("BFF client request (bff.transport), CPU", f"{client_us:,.1f} us",
         "one keep-alive client, JSON decoded; aiohttp's ClientSession in the same run: "
         f"{aiohttp_us:,.1f} us"),
        ("physical limit, one core", f"{limit_rps:,.0f} req/s",
         f"1 / (server + {CALLS_PER_BFF_REQUEST} x client) = 1 / {limit_us:,.0f} us"),
        ("this BFF, CPU per request", f"{ours_us:,.0f} us",
         f"{efficiency:.0%} of the limit's efficiency; target >= 60%: {ok(efficiency >= 0.6)}"),
        ("this BFF, req/s vs the limit", f"{median('ours', 'rps') / limit_rps:.0%}",
         "throughput over the one-core limit; below the efficiency figure when the BFF "
         "gets less than a core on this shared machine"),
    ]
    details = (f"wrk -t1 -c{conns}, {options.rounds} rounds x {seconds:g} s, 10 products, "
               "no faults")
    publish("bff", rows, details, options.write)


if __name__ == "__main__":
    main()
