"""The transport runs on uvloop in the BFF and on plain asyncio where uvloop is missing:
every test here runs on both."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping

import pytest

from bff.transport import Limits, Transport
from sim.aio import loop_factory

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def pytest_asyncio_loop_factories(config: pytest.Config,
                                  item: pytest.Item) -> Mapping[str, LoopFactory]:
    factories: dict[str, LoopFactory] = {"asyncio": asyncio.new_event_loop}
    uvloop = loop_factory()
    if uvloop is not None:
        factories["uvloop"] = uvloop
    return factories


@pytest.fixture
async def transport() -> AsyncIterator[Transport]:
    async with Transport(Limits(per_host=8)) as client:
        yield client
