"""Each test gets a fresh copy of the session's real report.json (tests/conftest.py) to
edit."""

from __future__ import annotations

import copy
from typing import Any

import pytest


@pytest.fixture
def report(built_report: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(built_report)
