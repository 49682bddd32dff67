"""inventory (:8001): GET /products/{id}/inventory -> {"inventory": 0..100}, seeded."""

from __future__ import annotations

import random

from sim.faults.answers import Reply, json_reply
from sim.services.runtime import Route, id_error, valid_id


def route(seed: int) -> Route:
    # Its own stream: stock values do not shift when fault decisions change.
    stock = random.Random(f"{seed}:inventory:stock")
    replies = [json_reply(200, {"inventory": value}) for value in range(101)]

    def get_inventory(segment: str) -> Reply:
        if valid_id(segment) is None:
            return id_error("id", segment)
        return replies[stock.randint(0, 100)]

    return Route("/products/{id}/inventory", get_inventory)
