"""What the BFF keeps of each downstream's answer; anything else is a malformed answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def product_ids(payload: Any) -> list[int]:
    if not isinstance(payload, list):
        raise TypeError("products: expected a JSON array")
    ids = [row["product_id"] for row in payload]
    if not all(isinstance(pid, int) and not isinstance(pid, bool) for pid in ids):
        raise TypeError("products: product_id must be an integer")
    return ids


def item_count(payload: Any) -> int:
    if not isinstance(payload, list):
        raise TypeError("expected a JSON array")
    return len(payload)


def stock(payload: Any) -> int:
    value = payload["inventory"]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("inventory must be an integer")
    return value


DECODERS: dict[str, Callable[[Any], Any]] = {
    "products": product_ids, "favorites": item_count, "cart": item_count, "inventory": stock,
}
