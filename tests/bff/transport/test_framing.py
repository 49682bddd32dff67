"""Where an answer ends, what is skipped, and what is refused: answers the simulator never
gives, from a scripted server."""

from __future__ import annotations

import asyncio

import pytest

from bff.errors import MalformedHttp, RequestNotSent, UnencodableRequest
from bff.transport import Limits, Transport
from tests.bff.transport.wire import ScriptedServer, answer, scripted


async def informational_first(server: ScriptedServer, reader: asyncio.StreamReader,
                              writer: asyncio.StreamWriter) -> None:
    while await server.read_request(reader):
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                     + answer(b'{"n": 1}', extra="X-Final: yes\r\n"))


async def test_1xx_answers_are_skipped_and_the_connection_stays_in_step() -> None:
    async with scripted(informational_first) as (server, origin), Transport() as transport:
        for _ in range(2):
            response = await transport.get(origin, "/", None, 2.0)
            assert response.status == 200
            assert response.json() == {"n": 1}
            assert response.headers["x-final"] == "yes" and "link" not in response.headers
    assert server.connections == 1


async def chunked(server: ScriptedServer, reader: asyncio.StreamReader,
                  writer: asyncio.StreamWriter) -> None:
    while await server.read_request(reader):
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for piece in (b'{"items": ', b"[1, 2, 3]", b"}"):
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")


async def test_a_chunked_body_is_read_whole_and_the_connection_kept() -> None:
    async with scripted(chunked) as (server, origin), Transport() as transport:
        for _ in range(2):
            assert (await transport.get(origin, "/", None, 2.0)).json() == {"items": [1, 2, 3]}
    assert server.connections == 1


async def body_to_the_close(server: ScriptedServer, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
    if await server.read_request(reader):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[1, ")
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(b"2]")


async def test_a_body_without_length_ends_at_the_close() -> None:
    async with scripted(body_to_the_close) as (server, origin), Transport() as transport:
        for _ in range(2):
            assert (await transport.get(origin, "/", None, 2.0)).json() == [1, 2]
    assert server.connections == 2


async def no_content(server: ScriptedServer, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
    while await server.read_request(reader):
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")


async def test_a_204_has_no_body_and_does_not_wait_for_one() -> None:
    async with scripted(no_content) as (server, origin), Transport() as transport:
        for _ in range(2):
            response = await transport.get(origin, "/", None, 2.0)
            assert response.status == 204 and response.body == b""
    assert server.connections == 1


async def huge_headers(server: ScriptedServer, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
    while await server.read_request(reader):
        writer.write(answer(extra="".join(f"X-Filler-{i}: {'x' * 100}\r\n"
                                          for i in range(40))))


async def test_headers_over_the_cap_are_malformed_http() -> None:
    async with scripted(huge_headers) as (_, origin), \
            Transport(Limits(max_header_bytes=2048)) as transport:
        with pytest.raises(MalformedHttp, match="headers over 2048 bytes"):
            await transport.get(origin, "/", None, 2.0)
    async with scripted(huge_headers) as (_, origin), Transport() as transport:
        assert (await transport.get(origin, "/", None, 2.0)).status == 200


async def not_http(server: ScriptedServer, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> None:
    while await server.read_request(reader):
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


async def test_an_answer_that_is_not_http_is_malformed_and_its_connection_dropped() -> None:
    async with scripted(not_http) as (server, origin), Transport() as transport:
        for _ in range(2):
            with pytest.raises(MalformedHttp):
                await transport.get(origin, "/", None, 2.0)
    assert server.connections == 2


async def body_over_the_cap(server: ScriptedServer, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
    while await server.read_request(reader):
        writer.write(answer(b"[" + b"0, " * 1000 + b"0]"))


async def test_a_body_over_the_cap_is_refused() -> None:
    async with scripted(body_over_the_cap) as (_, origin), \
            Transport(Limits(max_body_bytes=1000)) as transport:
        with pytest.raises(MalformedHttp, match="body over 1000 bytes"):
            await transport.get(origin, "/", None, 2.0)


async def test_a_field_http_cannot_carry_is_refused_before_anything_is_sent() -> None:
    # Old code: a bare UnicodeEncodeError / ValueError, outside the TransportError tree.
    async with scripted(informational_first) as (server, origin), Transport() as transport:
        for headers in ({"X-Request-Id": "€"}, {"X-Request-Id": "a\r\nX-Admin: 1"}):
            with pytest.raises(UnencodableRequest) as caught:
                await transport.get(origin, "/", headers, 2.0)
            assert isinstance(caught.value, RequestNotSent)
    assert server.connections == 0
