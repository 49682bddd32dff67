"""products (:8000): GET /products -> [{"product_id", "product_name"}], from products.db."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from sim.faults.answers import json_reply
from sim.services.runtime import Route


async def load(db_path: Path) -> Route:
    """The catalogue as read from SQLite at start, encoded once."""
    async with aiosqlite.connect(db_path) as db:
        rows = await db.execute_fetchall(
            "SELECT product_id, product_name FROM product ORDER BY product_id")
    reply = json_reply(200, [{"product_id": pid, "product_name": name} for pid, name in rows])
    return Route("/products", lambda segment: reply)
