"""Keep-alive, the per-host cap, and which connections may go back into the pool."""

from __future__ import annotations

import asyncio

import psutil
import pytest

from bff.errors import ConnectionReset, PoolTimeout
from bff.transport import Limits, Origin, Transport
from sim.host import SimHost
from tests.bff.transport.wire import ScriptedServer, answer, scripted

PATH = "/products/1/inventory"


def open_connections(port: int) -> set[int]:
    """Client ports of the established TCP connections to `port`, as the kernel sees them."""
    ports = set()
    for conn in psutil.net_connections(kind="tcp"):
        if conn.raddr and conn.status == psutil.CONN_ESTABLISHED:
            if conn.laddr.port == port:
                ports.add(conn.raddr.port)
            elif conn.raddr.port == port:
                ports.add(conn.laddr.port)
    return ports


async def test_sequential_calls_share_one_kept_alive_connection(
        sim_host: SimHost, transport: Transport) -> None:
    origin = Origin.parse(sim_host.urls["inventory"])
    seen: list[set[int]] = []
    for _ in range(20):
        assert (await transport.get(origin, PATH, None, 2.0)).status == 200
        seen.append(open_connections(origin.port))
    assert len(seen[0]) == 1
    assert all(ports == seen[0] for ports in seen)


def abandoned(host: SimHost) -> float:
    return host.ledger.counters.get(("sim_requests_total", ("inventory", "abandoned")), 0)


async def test_cancelled_mid_body_the_connection_is_dropped_at_once(
        sim_host: SimHost, transport: Transport) -> None:
    origin = Origin.parse(sim_host.urls["inventory"])
    call = asyncio.ensure_future(transport.get(origin, PATH, {"X-Sim-Fault": "slow_body=3s"},
                                               5.0))
    await asyncio.sleep(0.4)  # headers and part of the body are in
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(50):  # well before the body's 3 s are up, the simulator sees us leave
        if abandoned(sim_host):
            break
        await asyncio.sleep(0.02)
    assert abandoned(sim_host) == 1
    response = await transport.get(origin, PATH, None, 2.0)
    assert response.status == 200 and "inventory" in response.json()


async def slow_answers(server: ScriptedServer, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
    while await server.read_request(reader):
        await asyncio.sleep(0.05)
        writer.write(answer())


async def test_the_per_host_cap_bounds_open_connections_and_queues_the_rest() -> None:
    async with scripted(slow_answers) as (server, origin), \
            Transport(Limits(per_host=2)) as transport:
        responses = await asyncio.gather(*(transport.get(origin, "/", None, 5.0)
                                           for _ in range(6)))
    assert [r.status for r in responses] == [200] * 6
    assert server.peak_open == 2 and server.connections == 2


async def never_answer(server: ScriptedServer, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
    while await server.read_request(reader):
        pass


async def half_a_body(server: ScriptedServer, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
    while await server.read_request(reader):
        if server.connections == 1:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\":")
        else:
            writer.write(answer())


async def test_a_cancelled_call_never_gives_its_connection_back() -> None:
    async with scripted(half_a_body) as (server, origin), Transport() as transport:
        call = asyncio.ensure_future(transport.get(origin, "/", None, 5.0))
        await asyncio.sleep(0.1)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert (await transport.get(origin, "/", None, 2.0)).json() == {}
        for _ in range(50):
            if server.open == 1:
                break
            await asyncio.sleep(0.01)
        assert server.connections == 2 and server.open == 1  # the first one was closed


async def test_waiting_for_a_pooled_connection_is_a_pool_timeout_not_a_timeout() -> None:
    # Old code: the same TransportTimeout as a downstream that hangs, for a request the
    # server never received.
    async with scripted(never_answer) as (server, origin), \
            Transport(Limits(per_host=1)) as transport:
        first = asyncio.ensure_future(transport.get(origin, "/", None, 5.0))
        await asyncio.sleep(0.05)
        with pytest.raises(PoolTimeout, match="no pooled connection free within 200 ms"):
            await transport.get(origin, "/", None, 0.2)
        assert (server.connections, server.requests) == (1, 1)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first


async def test_closing_the_transport_ends_calls_in_flight() -> None:
    async with scripted(never_answer) as (_, origin):
        transport = Transport()
        call = asyncio.ensure_future(transport.get(origin, "/", None, 5.0))
        await asyncio.sleep(0.05)
        await transport.close()
        with pytest.raises(ConnectionReset, match="client was closed"):
            await call


async def close_after_answering(server: ScriptedServer, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter) -> None:
    if await server.read_request(reader):
        writer.write(answer(extra="Connection: close\r\n"))
        await never_answer(server, reader, writer)  # left open: the client must not reuse it


async def test_an_answer_with_connection_close_is_not_reused() -> None:
    async with scripted(close_after_answering) as (server, origin), Transport() as transport:
        for _ in range(2):
            assert (await transport.get(origin, "/", None, 2.0)).status == 200
    assert server.connections == 2


async def answer_once_then_close_at_the_next_request(
        server: ScriptedServer, reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter) -> None:
    if server.connections > 1:
        await slow_answers(server, reader, writer)
    elif await server.read_request(reader):
        writer.write(answer())
        await server.read_request(reader)  # a stale keep-alive: closed cleanly, no answer


async def test_a_stale_kept_alive_connection_is_retried_once_on_a_fresh_one() -> None:
    async with scripted(answer_once_then_close_at_the_next_request) as (server, origin), \
            Transport() as transport:
        assert (await transport.get(origin, "/", None, 2.0)).status == 200
        assert (await transport.get(origin, "/", None, 2.0)).status == 200
    assert server.connections == 2 and server.requests == 3


async def close_without_answer(server: ScriptedServer, reader: asyncio.StreamReader,
                               writer: asyncio.StreamWriter) -> None:
    await server.read_request(reader)


async def test_a_fresh_connection_closed_before_the_answer_is_not_retried() -> None:
    async with scripted(close_without_answer) as (server, origin), Transport() as transport:
        with pytest.raises(ConnectionReset, match="before any answer"):
            await transport.get(origin, "/", None, 2.0)
    assert server.requests == 1


async def answer_then_close(server: ScriptedServer, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
    if await server.read_request(reader):
        writer.write(answer())  # keep-alive by default, then closed anyway (an idle timeout)


async def test_an_idle_connection_the_server_closed_is_not_used() -> None:
    async with scripted(answer_then_close) as (server, origin), Transport() as transport:
        assert (await transport.get(origin, "/", None, 2.0)).status == 200
        await asyncio.sleep(0.05)
        assert (await transport.get(origin, "/", None, 2.0)).status == 200
    assert server.connections == 2 and server.requests == 2


async def test_a_connection_idle_past_the_idle_timeout_is_closed() -> None:
    async with scripted(slow_answers) as (server, origin), \
            Transport(Limits(idle_timeout=0.2)) as transport:
        assert (await transport.get(origin, "/", None, 2.0)).status == 200
        assert server.open == 1
        for _ in range(100):
            if server.open == 0:
                break
            await asyncio.sleep(0.02)
        assert server.open == 0  # closed by the client, without a request to notice it
        assert (await transport.get(origin, "/", None, 2.0)).status == 200
    assert server.connections == 2
