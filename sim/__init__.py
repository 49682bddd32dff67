"""The simulated downstream services, their fault engine, ledger and admin API."""

SERVICES: tuple[str, ...] = ("products", "inventory", "favorites", "cart")

DEFAULT_PORTS: dict[str, int] = {
    "products": 8000,
    "inventory": 8001,
    "favorites": 8002,
    "cart": 8003,
    "bff": 9000,
    "admin": 9001,
}
