"""The BFF's 200 answer is built without json.dumps (bff/app.py encode_answer); it must
be what json.dumps gave, byte for byte, with the same Content-Type."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
from hypothesis import given
from hypothesis import strategies as st

from bff.app import encode_answer
from tests.bff.live import live_bff

counts = st.one_of(st.none(), st.integers(0, 2**63 - 1))
names = st.lists(st.sampled_from(["products", "favorites", "cart", "inventory"]), unique=True)


@given(counts, counts, st.lists(st.tuples(st.integers(0, 2**63 - 1), counts), max_size=30),
       names)
def test_encode_answer_is_json_dumps(cart: int | None, favorites: int | None,
                                     rows: list[tuple[int, int | None]],
                                     degraded: list[str]) -> None:
    body = {"cart_items": cart, "favorite_items": favorites,
            "products": [{"product_id": pid, "inventory": value} for pid, value in rows],
            "degraded": degraded}
    assert encode_answer(cart, favorites, [pid for pid, _ in rows],
                         [value for _, value in rows], degraded) == json.dumps(body).encode()


async def _raw_answer(url: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.read()


async def test_live_answers_are_canonical_json_complete_and_degraded(tmp_path: Path) -> None:
    async with live_bff(tmp_path) as live:
        url = live.host.urls["bff"] + "/products/all"
        status, content_type, raw = await _raw_answer(url)
        assert (status, content_type) == (200, "application/json; charset=utf-8")
        assert raw == json.dumps(json.loads(raw)).encode()
        assert json.loads(raw)["degraded"] == []
        await live.faults("cart", [{"type": "error", "status": 500}])
        status, _, raw = await _raw_answer(url)
        body = json.loads(raw)
        assert status == 200 and raw == json.dumps(body).encode()
        assert body["degraded"] == ["cart"] and body["cart_items"] is not None  # last good
