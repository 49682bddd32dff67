"""Fixtures for the BFF policy tests: a fake clock and an event recorder."""

from __future__ import annotations

from typing import TypeVar

import pytest

from bff.clock import FakeClock

T = TypeVar("T")


class Recorder:
    """Collects the events a policy emits, so tests can assert what a user would see."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def __call__(self, event: object) -> None:
        self.events.append(event)

    def of(self, cls: type[T]) -> list[T]:
        return [e for e in self.events if isinstance(e, cls)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(100.0)  # not 0, so code that confuses "0" with "unset" shows up


@pytest.fixture
def events() -> Recorder:
    return Recorder()
