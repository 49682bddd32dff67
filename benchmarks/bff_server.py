"""This project's BFF alone in its own process, against downstreams given by URL, so the
benchmark compares it with the reference aggregator on equal terms (one process each).

Usage: python benchmarks/bff_server.py PORT POLICY PRODUCTS_URL INVENTORY_URL FAVORITES_URL CART_URL
"""

from __future__ import annotations

import asyncio
import sys

from benchmarks.serving import serve_and_print_port
from bff.app import create_app
from bff.policyset import preset
from sim import SERVICES, aio
from sim.ledger import Ledger


async def main(port: int, policy: str, urls: list[str]) -> None:
    ledger = Ledger(asyncio.get_running_loop().time)
    app = create_app(preset(policy), dict(zip(SERVICES, urls, strict=True)), ledger)
    await serve_and_print_port(app, port)


if __name__ == "__main__":
    aio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3:7]))
