"""What a terminal fault answers instead of (or around) the service's own reply.

A fault only *describes* its answer; the service connection carries it out
(sim/services/exchange.py), so faults know nothing about sockets or HTTP servers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete response: status, body, and any headers beyond the standard ones."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = JSON_TYPE


def json_reply(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, json.dumps(payload).encode(), headers)


@dataclass(frozen=True, slots=True)
class Drop:
    """Close the connection with a TCP RST (SO_LINGER 0) and send nothing."""


@dataclass(frozen=True, slots=True)
class Silence:
    """Never answer; ends only when the caller disconnects or the simulator stops."""


@dataclass(frozen=True, slots=True)
class Dribble:
    """Send the headers at once, then the body in `chunks` pieces over `duration` seconds."""

    reply: Reply
    duration: float
    chunks: int


Answer = Reply | Drop | Silence | Dribble
# The service's own reply for this request, computed only if a fault needs it.
Serve = Callable[[], Reply]
