"""The services' HTTP server, byte for byte over real loopback sockets: keep-alive,
pipelining, HTTP/1.0, routing errors, size limits, ids, HEAD, 100-continue."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sim.faults.answers import Reply
from sim.host import SimHost
from sim.services.protocol import MAX_BODY_BYTES, MAX_HEADERS, MAX_LINE_BYTES
from sim.services.runtime import Route
from sim.services.server import ServiceListener
from tests.conftest import free_config
from tests.sim.wire import connect, get, read_answer, roundtrip


def cart(host: SimHost) -> str:
    return host.urls["cart"]


async def test_keep_alive_serves_many_requests_on_one_connection(sim_host: SimHost) -> None:
    reader, writer = await connect(cart(sim_host))
    try:
        for user in (1, 2, 3):
            writer.write(get(f"/users/{user}/cart"))
            answer = await read_answer(reader)
            assert answer.status == 200
            assert answer.headers["content-type"] == "application/json; charset=utf-8"
            assert "connection" not in answer.headers
        assert answer.json() == []  # user 3 has no cart in the book
    finally:
        writer.close()


async def test_pipelined_requests_are_answered_in_order_even_behind_a_delay(
        sim_host: SimHost) -> None:
    # The first one waits 200 ms (X-Sim-Fault); the two behind it must not overtake it.
    request = (get("/users/1/cart", "X-Sim-Fault: latency=200ms")
               + get("/users/2/cart") + get("/users/424242/cart"))
    answers = await roundtrip(cart(sim_host), request, answers=3)
    assert [a.headers["x-sim-injected"] for a in answers] == [
        "latency;delay_ms=200.0", "none", "none"]
    assert [len(a.json()) for a in answers] == [3, 3, 0]  # type: ignore[arg-type]


async def test_http_10_closes_unless_keep_alive_is_asked_for(sim_host: SimHost) -> None:
    reader, writer = await connect(cart(sim_host))
    writer.write(get("/users/1/cart", version="1.0"))
    answer = await read_answer(reader)
    assert answer.status == 200 and answer.headers["connection"] == "close"
    assert await reader.read() == b""  # closed by the server
    writer.close()
    reader, writer = await connect(cart(sim_host))
    try:
        for _ in range(2):
            writer.write(get("/users/1/cart", "Connection: keep-alive", version="1.0"))
            answer = await read_answer(reader)
            assert answer.headers["connection"] == "keep-alive"
    finally:
        writer.close()


async def test_connection_close_is_honoured(sim_host: SimHost) -> None:
    reader, writer = await connect(cart(sim_host))
    writer.write(get("/users/1/cart", "Connection: close") + get("/users/2/cart"))
    answer = await read_answer(reader)
    assert answer.headers["connection"] == "close"
    assert await reader.read() == b""  # the second request is not answered
    writer.close()


@pytest.mark.parametrize(("request_line", "status", "allow"), [
    ("GET /nope HTTP/1.1", 404, None),
    ("GET /users/1/cart/ HTTP/1.1", 404, None),
    ("POST /users/1/cart HTTP/1.1", 405, "GET,HEAD"),
    ("DELETE /users/1/cart HTTP/1.1", 405, "GET,HEAD"),
])
async def test_unknown_routes_and_methods_are_json_errors(
        sim_host: SimHost, request_line: str, status: int, allow: str | None) -> None:
    request = f"{request_line}\r\nHost: t\r\nContent-Length: 0\r\n\r\n".encode()
    [answer] = await roundtrip(cart(sim_host), request)
    assert answer.status == status
    assert answer.json() == {"error": {404: "Not Found", 405: "Method Not Allowed"}[status],
                             "status": status, "path": request_line.split()[1]}
    assert answer.headers.get("allow") == allow


@pytest.mark.parametrize("raw_id", ["%EF%BC%91", "%D9%A1%D9%A2", "1_0", "+1", "%2B1%20",
                                    "-1", "9223372036854775808", "1.5", "0x1"])
async def test_ids_are_ascii_digits_only(sim_host: SimHost, raw_id: str) -> None:
    for url, path in ((cart(sim_host), f"/users/{raw_id}/cart"),
                      (sim_host.urls["inventory"], f"/products/{raw_id}/inventory")):
        [answer] = await roundtrip(url, get(path))
        assert answer.status == 400, (path, answer.body)
        body = answer.json()
        assert isinstance(body, dict) and body["field"] == "id"
        assert "ASCII digits" in body["error"]


async def test_the_largest_id_and_leading_zeros_are_fine(sim_host: SimHost) -> None:
    for path in ("/users/9223372036854775807/cart", "/users/0001/cart"):
        [answer] = await roundtrip(cart(sim_host), get(path))
        assert answer.status == 200


async def test_head_has_the_headers_without_the_body(sim_host: SimHost) -> None:
    reader, writer = await connect(cart(sim_host))
    try:
        writer.write(b"HEAD /users/1/cart HTTP/1.1\r\nHost: t\r\n\r\n" + get("/users/1/cart"))
        head = await read_answer(reader, head_only=True)
        full = await read_answer(reader)
        assert head.status == 200 and int(head.headers["content-length"]) == len(full.body)
    finally:
        writer.close()


async def test_a_body_over_the_limit_is_a_413_before_it_is_read(sim_host: SimHost) -> None:
    declared = (f"GET /users/1/cart HTTP/1.1\r\nHost: t\r\n"
                f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n").encode()
    [answer] = await roundtrip(cart(sim_host), declared)  # the body is never sent
    assert answer.status == 413 and answer.headers["connection"] == "close"
    assert "65536 exceeded" in answer.json()["error"]  # type: ignore[index]
    chunk = b"x" * 8192
    chunked = (b"GET /users/1/cart HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               + (b"2000\r\n" + chunk + b"\r\n") * 9 + b"0\r\n\r\n")
    [answer] = await roundtrip(cart(sim_host), chunked)
    assert answer.status == 413
    exactly = (f"GET /users/1/cart HTTP/1.1\r\nHost: t\r\n"
               f"Content-Length: {MAX_BODY_BYTES}\r\n\r\n").encode() + b"x" * MAX_BODY_BYTES
    [answer] = await roundtrip(cart(sim_host), exactly)
    assert answer.status == 200


async def test_oversized_lines_and_too_many_headers_are_json_400s(sim_host: SimHost) -> None:
    long_path = "/users/1/cart?" + "q" * MAX_LINE_BYTES
    many = [f"X-Filler-{i}: x" for i in range(MAX_HEADERS + 1)]
    for request, words in ((get(long_path), "request line"),
                           (get("/users/1/cart", "X-Big: " + "b" * MAX_LINE_BYTES), "header line"),
                           (get("/users/1/cart", *many), "headers")):
        [answer] = await roundtrip(cart(sim_host), request)
        assert answer.status == 400
        assert words in answer.json()["error"]  # type: ignore[index]
        assert str(MAX_LINE_BYTES if words != "headers" else MAX_HEADERS) in answer.body.decode()
    ok = get("/users/1/cart", *many[:MAX_HEADERS - 1])  # Host is the 64th
    [answer] = await roundtrip(cart(sim_host), ok)
    assert answer.status == 200


async def test_malformed_http_is_a_json_400_and_the_server_goes_on(sim_host: SimHost) -> None:
    [answer] = await roundtrip(cart(sim_host), b"GET /users/1/cart HTTP/1.1\r\nBad header\r\n\r\n")
    assert answer.status == 400 and "malformed HTTP" in answer.json()["error"]  # type: ignore[index]
    [answer] = await roundtrip(cart(sim_host), get("/users/1/cart"))
    assert answer.status == 200


async def test_expect_100_continue_gets_an_interim_answer(sim_host: SimHost) -> None:
    reader, writer = await connect(cart(sim_host))
    try:
        writer.write(b"GET /users/1/cart HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"body")
        assert (await read_answer(reader)).status == 200
    finally:
        writer.close()


async def test_a_flood_of_pipelined_requests_is_answered_completely(sim_host: SimHost) -> None:
    count = 500  # more than the queue bound behind a slow first answer
    request = get("/users/1/cart", "X-Sim-Fault: latency=50ms") + get("/users/2/cart") * count
    answers = await asyncio.wait_for(roundtrip(cart(sim_host), request, answers=count + 1), 10)
    assert [a.status for a in answers] == [200] * (count + 1)


def test_the_services_run_on_uvloop_as_sim_serve_does(tmp_path: Path) -> None:
    uvloop = pytest.importorskip("uvloop")

    async def main() -> None:
        async with SimHost(free_config(data_dir=tmp_path / "data")) as host:
            [answer] = await roundtrip(cart(host), get("/users/1/cart"))
            assert answer.status == 200
            reader, writer = await connect(cart(host))
            writer.write(get("/users/1/cart", "X-Sim-Fault: reset"))
            with pytest.raises(ConnectionResetError):
                await reader.read()
            writer.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


async def test_a_bug_in_an_answer_is_a_json_500_and_a_log_line_not_a_dead_server(
        sim_host: SimHost, caplog: pytest.LogCaptureFixture) -> None:
    def broken(segment: str) -> Reply:
        raise RuntimeError(f"bug for {segment}")

    listener = sim_host.listeners["cart"]
    assert isinstance(listener, ServiceListener)
    working, listener.runtime.route = listener.runtime.route, Route("/users/{id}/cart", broken)
    for fault in ("none", "latency=10ms"):  # answered at once, and from a task
        [answer] = await roundtrip(cart(sim_host), get("/users/1/cart", f"X-Sim-Fault: {fault}"))
        assert answer.status == 500 and answer.headers["connection"] == "close"
        assert answer.json() == {"error": "Internal Server Error", "status": 500,
                                 "path": "/users/1/cart"}
    assert "cart: answering GET /users/1/cart failed" in caplog.text
    assert sim_host.ledger.counters[("sim_requests_total", ("cart", "500"))] == 2
    listener.runtime.route = working
    [answer] = await roundtrip(cart(sim_host), get("/users/1/cart"))
    assert answer.status == 200


async def test_a_refused_head_request_gets_no_body_either(sim_host: SimHost) -> None:
    reader, writer = await connect(cart(sim_host))
    try:
        writer.write(b"HEAD /users/1/cart HTTP/1.1\r\nHost: t\r\nX-Big: "
                     + b"b" * MAX_LINE_BYTES + b"\r\n\r\n")
        answer = await read_answer(reader, head_only=True)
        assert answer.status == 400 and int(answer.headers["content-length"]) > 0
        assert await reader.read() == b""  # closed, with no body after the head
    finally:
        writer.close()
