"""Clients written against the book's API work unchanged: the book's own listing-10.8
aggregator (benchmarks/book_bff.py, a new aiohttp ClientSession per request) and a plain
pooled aiohttp session, against the services on real loopback ports."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from benchmarks.book_bff import make_app
from sim import SERVICES
from sim.host import SimHost


@pytest.fixture
async def book_bff(sim_host: SimHost) -> AsyncIterator[str]:
    runner = web.AppRunner(make_app(*(sim_host.urls[s] for s in SERVICES)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site.port}"
    await runner.cleanup()


async def test_the_books_aggregator_gets_its_answer(book_bff: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(3):  # and again, over whatever connections it kept
            async with session.get(f"{book_bff}/products/all") as response:
                assert response.status == 200
                body = await response.json()
            assert body["cart_items"] == 0 and body["favorite_items"] == 3  # user 3
            assert [p["product_id"] for p in body["products"]] == list(range(1, 11))
            assert all(0 <= p["inventory"] <= 100 for p in body["products"])


async def test_a_pooled_aiohttp_session_is_served_throughout(sim_host: SimHost) -> None:
    connector = aiohttp.TCPConnector(limit=2)
    async with aiohttp.ClientSession(connector=connector) as session:
        for pid in range(1, 21):
            url = f"{sim_host.urls['inventory']}/products/{pid}/inventory"
            async with session.get(url) as response:
                assert response.status == 200
                assert set(await response.json()) == {"inventory"}
    served = sim_host.ledger.counters[("sim_requests_total", ("inventory", "200"))]
    assert served == 20
