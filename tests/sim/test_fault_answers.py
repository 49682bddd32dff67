"""Every fault kind as the wire shows it, over real loopback sockets: what arrives, when,
and what the simulator counts (requests, abandoned answers, injections)."""

from __future__ import annotations

import asyncio
import time

import pytest

from sim.faults import Fault, parse_faults
from sim.host import SimHost
from tests.sim.wire import connect, get, read_answer, roundtrip


def inventory(host: SimHost) -> str:
    return host.urls["inventory"]


def counted(host: SimHost, service: str, status: str) -> int:
    return host.ledger.counters[("sim_requests_total", (service, status))]


def _faults(specs: list[dict[str, object]]) -> tuple[Fault, ...]:
    return parse_faults(specs, "faults")


async def abandoned_after(host: SimHost, seconds: float) -> list[dict[str, object]]:
    await asyncio.sleep(seconds)
    return host.ledger.events_since(0, kinds=frozenset({"request_abandoned"}))


@pytest.mark.parametrize("header", [
    "latency=40ms",
    "latency=40ms; latency=30ms",  # latencies stack
])
async def test_latency_delays_from_arrival_by_what_was_injected(sim_host: SimHost,
                                                                header: str) -> None:
    started = time.monotonic()
    [answer] = await roundtrip(inventory(sim_host),
                               get("/products/1/inventory", f"X-Sim-Fault: {header}"))
    elapsed = time.monotonic() - started
    delays = [float(part.split("delay_ms=")[1]) / 1000
              for part in answer.headers["x-sim-injected"].split(", ")]
    assert answer.status == 200
    assert sum(delays) - 0.001 <= elapsed < sum(delays) + 1.0


@pytest.mark.parametrize(("spec", "low", "high"), [
    ({"dist": "uniform", "min": "20ms", "max": "80ms"}, 0.020, 0.080),
    ({"dist": "normal", "mean": "50ms", "stddev": "10ms", "cap": "90ms"}, 0.0, 0.090),
    ({"dist": "lognormal", "median": "30ms", "sigma": 0.5, "cap": "100ms"}, 0.0, 0.100),
    ({"dist": "pareto", "scale": "10ms", "alpha": 2.0, "cap": "100ms"}, 0.010, 0.100),
])
async def test_latency_distributions_are_sampled_per_request_and_waited(
        sim_host: SimHost, spec: dict[str, object], low: float, high: float) -> None:
    sim_host.control.set_override("inventory", _faults([{"type": "latency", **spec}]))
    reader, writer = await connect(inventory(sim_host))
    delays = []
    try:
        for _ in range(8):
            started = time.monotonic()
            writer.write(get("/products/1/inventory"))
            answer = await read_answer(reader)
            elapsed = time.monotonic() - started
            delay = float(answer.headers["x-sim-injected"].split("delay_ms=")[1]) / 1000
            assert low <= delay <= high + 1e-9
            assert delay - 0.001 <= elapsed < delay + 1.0
            delays.append(delay)
    finally:
        writer.close()
    assert len(set(delays)) > 1  # sampled, not fixed


async def test_error_carries_status_retry_after_and_the_injected_header(
        sim_host: SimHost) -> None:
    sim_host.control.set_override("cart", _faults(
        [{"type": "error", "status": 429, "retry_after": "250ms"}]))
    [answer] = await roundtrip(sim_host.urls["cart"], get("/users/1/cart"))
    assert answer.status == 429
    assert answer.headers["retry-after"] == "1"  # whole seconds, rounded up
    assert answer.headers["x-sim-injected"] == "error;status=429"
    assert answer.json() == {"error": "injected fault: error 429"}
    assert counted(sim_host, "cart", "429") == 1


async def test_reset_is_a_tcp_rst_with_no_bytes(sim_host: SimHost) -> None:
    reader, writer = await connect(inventory(sim_host))
    writer.write(get("/products/1/inventory", "X-Sim-Fault: reset"))
    with pytest.raises(ConnectionResetError):
        # A clean close would read b""; an RST (SO_LINGER 0) is an error, with no bytes.
        assert await reader.read() == b"never"
    writer.close()
    assert counted(sim_host, "inventory", "reset") == 1


async def test_hang_is_abandoned_when_the_client_leaves(sim_host: SimHost) -> None:
    reader, writer = await connect(inventory(sim_host))
    writer.write(get("/products/1/inventory", "X-Sim-Fault: hang", "X-Request-Id: r-hang"))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.2)
    writer.close()
    events = await abandoned_after(sim_host, 0.1)
    assert [(e["service"], e["request_id"]) for e in events] == [("inventory", "r-hang")]
    assert counted(sim_host, "inventory", "abandoned") == 1


async def test_a_delayed_answer_is_abandoned_when_the_client_leaves(sim_host: SimHost) -> None:
    _, writer = await connect(inventory(sim_host))
    writer.write(get("/products/1/inventory", "X-Sim-Fault: latency=5s"))
    await asyncio.sleep(0.1)
    writer.close()
    events = await abandoned_after(sim_host, 0.1)
    assert len(events) == 1 and 0.05 < float(events[0]["after"]) < 1.0  # type: ignore[arg-type]


async def test_slow_body_sends_headers_then_dribbles_the_body(sim_host: SimHost) -> None:
    reader, writer = await connect(sim_host.urls["products"])
    try:
        started = time.monotonic()
        writer.write(get("/products", "X-Sim-Fault: slow_body=300ms"))
        head = await reader.readuntil(b"\r\n\r\n")
        headers_after = time.monotonic() - started
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        pieces = []
        while sum(map(len, pieces)) < length:
            pieces.append(await reader.read(length))
        assert headers_after < 0.15
        assert 0.29 <= time.monotonic() - started < 1.5
        assert len(pieces) > 2  # it came in pieces
        assert b"slow_body;duration_ms=300.0" in head
        writer.write(get("/products"))  # the connection is still good afterwards
        assert (await read_answer(reader)).status == 200
    finally:
        writer.close()
    assert counted(sim_host, "products", "200") == 2


async def test_slow_body_cut_short_is_abandoned(sim_host: SimHost) -> None:
    reader, writer = await connect(sim_host.urls["products"])
    writer.write(get("/products", "X-Sim-Fault: slow_body=2s"))
    await reader.readuntil(b"\r\n\r\n")
    writer.close()
    assert len(await abandoned_after(sim_host, 0.2)) == 1


async def test_malformed_is_half_the_body_and_a_bad_id_stays_a_400(sim_host: SimHost) -> None:
    sim_host.control.set_override("cart", _faults([{"type": "malformed"}]))
    [good] = await roundtrip(sim_host.urls["cart"], get("/users/1/cart", "X-Sim-Fault: none"))
    [answer] = await roundtrip(sim_host.urls["cart"], get("/users/1/cart"))
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/json")
    assert answer.body == good.body[:len(good.body) // 2] + b"\x00"
    [bad] = await roundtrip(sim_host.urls["cart"], get("/users/x/cart"))
    assert bad.status == 400 and bad.headers["x-sim-injected"] == "malformed"


async def test_fail_first_counts_per_method_path_and_query(sim_host: SimHost) -> None:
    statuses = []
    for path in ("/users/1/cart", "/users/1/cart", "/users/1/cart", "/users/1/cart?a=1",
                 "/users/1/cart?a=1", "/users/1/cart?a=1"):
        [answer] = await roundtrip(sim_host.urls["cart"], get(path, "X-Sim-Fault: fail_first=2"))
        statuses.append(answer.status)
    assert statuses == [503, 503, 200, 503, 503, 200]


async def test_down_closes_kept_alive_connections_and_refuses_new_ones(
        sim_host: SimHost) -> None:
    reader, writer = await connect(sim_host.urls["cart"])
    writer.write(get("/users/1/cart"))
    assert (await read_answer(reader)).status == 200
    hung_reader, hung_writer = await connect(inventory(sim_host))
    hung_writer.write(get("/products/1/inventory", "X-Sim-Fault: hang"))
    await asyncio.sleep(0.05)
    for service in ("cart", "inventory"):
        sim_host.control.set_override(service, _faults([{"type": "down"}]))
    await sim_host.sync_ports()
    assert await reader.read() == b""  # closed by the server
    assert await hung_reader.read() == b""
    with pytest.raises(ConnectionRefusedError):
        await connect(sim_host.urls["cart"])
    writer.close()
    hung_writer.close()
    assert counted(sim_host, "inventory", "abandoned") == 1  # the hang, cut by down


async def test_stopping_the_simulator_ends_hung_answers_as_abandoned(
        sim_host: SimHost) -> None:
    _, writer = await connect(inventory(sim_host))
    writer.write(get("/products/1/inventory", "X-Sim-Fault: hang"))
    await asyncio.sleep(0.05)
    await sim_host.listeners["inventory"].stop()
    writer.close()
    assert counted(sim_host, "inventory", "abandoned") == 1
