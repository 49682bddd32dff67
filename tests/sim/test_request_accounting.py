"""Every request that reaches a service is counted once on arrival and once more when it
ends: answered (its status, refusals included), reset, or abandoned. So
sim_requests_received_total == sum(sim_requests_total) per service, over real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sim.host import SimHost
from sim.services.protocol import MAX_BODY_BYTES, MAX_LINE_BYTES
from tests.sim.wire import connect, get, read_answer, roundtrip

SETTLE = 2.0  # s to wait for the server to notice a closed connection (takes ~1 ms)
POLL = 0.01  # s


def received(host: SimHost, service: str) -> int:
    return host.ledger.counters[("sim_requests_received_total", (service,))]


def ended(host: SimHost, service: str) -> dict[str, int]:
    return {labels[1]: n for labels, n in host.ledger.counter_values("sim_requests_total").items()
            if labels[0] == service and n}


def abandoned_ids(host: SimHost) -> list[str]:
    events = host.ledger.events_since(0, kinds=frozenset({"request_abandoned"}))
    return [str(event["request_id"]) for event in events]


async def until(condition: Callable[[], bool]) -> None:
    """Poll the ledger (nothing to await on it); the assertion after says what failed."""
    for _ in range(int(SETTLE / POLL)):
        if condition():
            return
        await asyncio.sleep(POLL)


async def test_pipelined_requests_behind_a_hung_answer_count_as_abandoned_when_the_caller_leaves(
        sim_host: SimHost) -> None:
    reader, writer = await connect(sim_host.urls["cart"])
    writer.write(get("/users/1/cart", "X-Sim-Fault: hang", "X-Request-Id: r-1")
                 + get("/users/2/cart", "X-Request-Id: r-2")
                 + get("/users/3/cart", "X-Request-Id: r-3"))
    # All three arrive (counted on arrival), then the caller gives up on the first.
    await until(lambda: received(sim_host, "cart") == 3)
    assert received(sim_host, "cart") == 3
    writer.close()
    await until(lambda: len(abandoned_ids(sim_host)) == 3)
    assert ended(sim_host, "cart") == {"abandoned": 3}
    assert sorted(abandoned_ids(sim_host)) == ["r-1", "r-2", "r-3"]
    assert reader.at_eof() or await reader.read() == b""  # nothing was answered


async def test_a_bad_x_sim_fault_is_a_400_counted_like_any_answer(sim_host: SimHost) -> None:
    [answer] = await roundtrip(sim_host.urls["cart"], get("/users/1/cart", "X-Sim-Fault: bogus"))
    assert answer.status == 400
    assert received(sim_host, "cart") == 1
    assert ended(sim_host, "cart") == {"400": 1}
    latency = sim_host.ledger.histograms[("sim_request_duration_seconds", ("cart",))]
    assert latency.count == 1


async def test_protocol_refusals_are_received_and_answered_with_their_status(
        sim_host: SimHost) -> None:
    url = sim_host.urls["cart"]
    long_header = get("/users/1/cart", "X-Big: " + "b" * MAX_LINE_BYTES)
    big_body = (f"GET /users/1/cart HTTP/1.1\r\nHost: t\r\n"
                f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n").encode()
    # One good request pipelined before the refused one: both are counted.
    for request, status in ((long_header, 400), (big_body, 413), (b"NOT HTTP AT ALL\r\n\r\n", 400)):
        answers = await roundtrip(url, get("/users/2/cart") + request, answers=2)
        assert [a.status for a in answers] == [200, status]
    assert received(sim_host, "cart") == 6
    assert ended(sim_host, "cart") == {"200": 3, "400": 2, "413": 1}


async def test_received_equals_answered_plus_abandoned_over_a_mixed_load(
        sim_host: SimHost) -> None:
    url = sim_host.urls["cart"]
    for fault in ("none", "error=503", "reset", "malformed", "bogus", "latency=5ms"):
        reader, writer = await connect(url)
        writer.write(get("/users/1/cart", f"X-Sim-Fault: {fault}"))
        if fault != "reset":
            await read_answer(reader)
        writer.close()
    _, writer = await connect(url)
    writer.write(get("/users/1/cart", "X-Sim-Fault: latency=5s") + get("/users/2/cart"))
    await until(lambda: received(sim_host, "cart") == 8)
    writer.close()
    await until(lambda: sum(ended(sim_host, "cart").values()) == 8)
    assert received(sim_host, "cart") == sum(ended(sim_host, "cart").values()) == 8
    assert ended(sim_host, "cart")["abandoned"] == 2
