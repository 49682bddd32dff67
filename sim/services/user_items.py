"""favorites (:8002) and cart (:8003): GET /users/{id}/<route> -> [{"product_id"}].

The book's two services share one data model and differ only in table and route.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from sim.faults.answers import Reply, json_reply
from sim.services.runtime import Route, id_error, valid_id

ROUTES = {"favorites": ("user_favorite", "/users/{id}/favorites"),
          "cart": ("user_cart", "/users/{id}/cart")}


async def load(service: str, db_path: Path) -> Route:
    """Every user's rows as read from SQLite at start; unknown users get []."""
    table, pattern = ROUTES[service]
    async with aiosqlite.connect(db_path) as db:
        # The table name comes from ROUTES above, never from a request.
        rows = await db.execute_fetchall(
            f"SELECT user_id, product_id FROM {table} ORDER BY user_id, product_id")
    items: dict[int, list[dict[str, int]]] = {}
    for user_id, product_id in rows:
        items.setdefault(user_id, []).append({"product_id": product_id})
    replies = {user_id: json_reply(200, products) for user_id, products in items.items()}
    empty = json_reply(200, [])

    def list_user_items(segment: str) -> Reply:
        user_id = valid_id(segment)
        if user_id is None:
            return id_error("id", segment)
        return replies.get(user_id, empty)

    return Route(pattern, list_user_items)
