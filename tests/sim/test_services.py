"""The book's four services: routes, JSON shapes, data, bad ids."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import aiosqlite

from sim.host import SimHost
from sim.services.db import BOOK_CART, BOOK_FAVORITES, Catalogue


async def get_json(client: aiohttp.ClientSession, url: str) -> tuple[int, object]:
    async with client.get(url) as response:
        return response.status, await response.json()


async def test_products_lists_the_generated_catalogue(sim_host: SimHost,
                                                      client: aiohttp.ClientSession) -> None:
    status, body = await get_json(client, f"{sim_host.urls['products']}/products")
    assert status == 200
    assert isinstance(body, list) and len(body) == 10
    assert [row["product_id"] for row in body] == list(range(1, 11))
    assert all(set(row) == {"product_id", "product_name"} for row in body)


async def test_cart_and_favorites_hold_the_book_rows(sim_host: SimHost,
                                                     client: aiohttp.ClientSession) -> None:
    status, cart = await get_json(client, f"{sim_host.urls['cart']}/users/2/cart")
    assert status == 200
    assert cart == [{"product_id": pid} for user, pid in BOOK_CART if user == 2]
    status, favorites = await get_json(client, f"{sim_host.urls['favorites']}/users/3/favorites")
    assert favorites == [{"product_id": pid} for user, pid in BOOK_FAVORITES if user == 3]


async def test_unknown_user_gets_an_empty_list(sim_host: SimHost,
                                               client: aiohttp.ClientSession) -> None:
    assert await get_json(client, f"{sim_host.urls['cart']}/users/424242/cart") == (200, [])


async def test_non_integer_ids_are_a_400_with_a_json_error(
        sim_host: SimHost, client: aiohttp.ClientSession) -> None:
    for url in (f"{sim_host.urls['inventory']}/products/abc/inventory",
                f"{sim_host.urls['cart']}/users/1.5/cart",
                f"{sim_host.urls['favorites']}/users/x/favorites"):
        status, body = await get_json(client, url)
        assert status == 400, url
        assert isinstance(body, dict) and "must be an integer" in body["error"]


async def test_inventory_is_between_0_and_100_and_seeded(sim_host: SimHost,
                                                         client: aiohttp.ClientSession) -> None:
    values = []
    for _ in range(30):
        status, body = await get_json(client, f"{sim_host.urls['inventory']}/products/1/inventory")
        assert status == 200 and isinstance(body, dict)
        values.append(body["inventory"])
    assert all(0 <= v <= 100 for v in values)
    assert len(set(values)) > 5  # it varies
    import random

    expected = random.Random("7:inventory:stock")
    assert values == [expected.randint(0, 100) for _ in range(30)]


def test_catalogue_is_reproducible_and_sized() -> None:
    first = Catalogue.generate(seed=3, products=50, users=40)
    assert first == Catalogue.generate(seed=3, products=50, users=40)
    assert len(first.products) == 50
    assert {user for user, _ in first.cart} <= set(range(1, 41))
    assert first != Catalogue.generate(seed=4, products=50, users=40)


async def test_the_sqlite_files_hold_what_the_services_answer(
        sim_host: SimHost, client: aiohttp.ClientSession, tmp_path: Path) -> None:
    """SQLite stays the source of truth: the files are created and seeded at start, and the
    answers (served from memory) are exactly their rows."""
    data = tmp_path / "data"
    async with aiosqlite.connect(data / "products.db") as db:
        products = await db.execute_fetchall(
            "SELECT product_id, product_name FROM product ORDER BY product_id")
    status, body = await get_json(client, f"{sim_host.urls['products']}/products")
    assert status == 200
    assert body == [{"product_id": pid, "product_name": name} for pid, name in products]
    for service, table in (("cart", "user_cart"), ("favorites", "user_favorite")):
        async with aiosqlite.connect(data / f"{service}.db") as db:
            rows = await db.execute_fetchall(
                f"SELECT user_id, product_id FROM {table} ORDER BY user_id, product_id")
        users = {user for user, _ in rows}
        assert len(users) > 20  # generated users beyond the book's
        for user in sorted(users)[:25]:
            status, body = await get_json(client, f"{sim_host.urls[service]}/users/{user}/"
                                                  f"{service}")
            assert status == 200
            assert body == [{"product_id": pid} for u, pid in rows if u == user], (service, user)
