"""Each data-backed service owns one SQLite file, created and seeded at start (aiosqlite)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

# The book's rows (user_id, product_id); generated users start after them.
BOOK_CART: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 5))
BOOK_FAVORITES: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (1, 3), (3, 1), (3, 2), (3, 3))
BOOK_USERS = 3

_ADJECTIVES = ("Classic", "Compact", "Deluxe", "Eco", "Pro", "Rugged", "Smart", "Ultra")
_NOUNS = ("Backpack", "Headphones", "Kettle", "Keyboard", "Lamp", "Mug", "Sneakers", "Watch")


@dataclass(frozen=True)
class Catalogue:
    """The generated data set: same seed and sizes, same rows."""

    products: tuple[tuple[int, str], ...]
    favorites: tuple[tuple[int, int], ...]
    cart: tuple[tuple[int, int], ...]
    users: int

    @classmethod
    def generate(cls, seed: int, products: int, users: int) -> Catalogue:
        rng = random.Random(f"{seed}:catalogue")
        names = tuple(
            (pid, f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {pid}")
            for pid in range(1, products + 1)
        )
        favorites, cart = list(BOOK_FAVORITES), list(BOOK_CART)
        for user in range(BOOK_USERS + 1, users + 1):
            for rows in (favorites, cart):
                picks = rng.sample(range(1, products + 1), k=min(products, rng.randint(0, 5)))
                rows.extend((user, pid) for pid in sorted(picks))
        return cls(names, tuple(favorites), tuple(cart), max(users, BOOK_USERS))


async def _create(path: Path, table: str, ddl: str, insert: str,
                  rows: tuple[tuple[object, ...], ...]) -> None:
    async with aiosqlite.connect(path) as db:
        # Re-seeded on every start, also in a kept --data-dir: a run starts from known data.
        # So a crash mid-seed loses nothing worth an fsync: skip them (start-up time).
        await db.execute("PRAGMA synchronous = OFF")
        await db.execute("PRAGMA journal_mode = MEMORY")
        await db.execute(f"DROP TABLE IF EXISTS {table}")
        await db.execute(ddl)
        await db.executemany(insert, rows)
        await db.commit()


async def create_databases(data_dir: Path, catalogue: Catalogue) -> dict[str, Path]:
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    paths = {name: data_dir / f"{name}.db" for name in ("products", "favorites", "cart")}
    creating = [_create(paths["products"], "product",
                        "CREATE TABLE product (product_id INTEGER PRIMARY KEY, product_name TEXT)",
                        "INSERT INTO product VALUES (?, ?)", catalogue.products)]
    for name, table, rows in (("favorites", "user_favorite", catalogue.favorites),
                              ("cart", "user_cart", catalogue.cart)):
        creating.append(_create(paths[name], table,
                                f"CREATE TABLE {table} (user_id INTEGER NOT NULL, product_id "
                                f"INTEGER NOT NULL, PRIMARY KEY (user_id, product_id))",
                                f"INSERT INTO {table} VALUES (?, ?)", rows))
    await asyncio.gather(*creating)  # one file each, one thread each: side by side
    return paths
