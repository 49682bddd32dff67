"""What keeps a web page from driving the admin API through the user's browser.

The admin API has no token on loopback, so any page open in the user's browser could
otherwise POST to http://127.0.0.1:9001 (a "simple" cross-origin request needs no CORS
preflight) or reach it by DNS rebinding. Browsers send `Origin` with every PUT, DELETE and
POST, so a state change is refused when `Origin` names anything but the admin itself; and
a request body must be JSON, which a cross-origin page cannot send without a preflight
that this API never grants. Tools (curl, `sim fault`, the locust web UI's server side)
send no `Origin` and are unaffected.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from sim.errors import shown

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def own_origins(url: str, port: int) -> frozenset[str]:
    """The admin's own origins: its URL, and its port under the loopback names."""
    return frozenset({url, *(f"http://{name}:{port}" for name in LOOPBACK_NAMES)})


def refusal(request: web.Request, origins: Callable[[], frozenset[str]],
            check_origin: bool) -> web.Response | None:
    """A JSON 403 or 415 for a cross-origin or non-JSON state change, else None."""
    if request.method not in STATE_CHANGING:
        return None
    origin = request.headers.get("Origin")
    if check_origin and origin is not None and origin not in origins():
        return web.json_response({
            "error": f"Origin: {shown(origin[:100])} may not change the simulator; the admin "
                     f"API takes state changes only from tools (no Origin) or its own "
                     f"origin {sorted(origins())[0]}",
            "field": "Origin"}, status=403)
    has_body = request.content_length != 0 and request.body_exists
    if has_body and request.content_type != "application/json":
        return web.json_response({
            "error": f"Content-Type: a request body must be application/json, got "
                     f"{shown(request.content_type[:100])}",
            "field": "Content-Type"}, status=415)
    return None


def guard_middleware(origins: Callable[[], frozenset[str]], check_origin: bool) -> Middleware:
    """`check_origin`: off when a token is required (a page cannot send the token)."""

    @web.middleware
    async def same_origin_json_only(request: web.Request,
                                    handler: Handler) -> web.StreamResponse:
        refused = refusal(request, origins, check_origin)
        return refused if refused is not None else await handler(request)

    return same_origin_json_only


class BodyError(ValueError):
    """A request body that is not JSON in UTF-8; the message names the problem."""


async def json_body(request: web.Request) -> Any:
    """The request's JSON body, decoded as UTF-8 whatever charset its Content-Type declares:
    JSON is UTF-8 and a charset parameter has no effect (RFC 8259, section 11). aiohttp's
    `request.json()` decodes with the declared charset, and `charset=bogus` was a 500."""
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"body: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
                        f"{exc.start:,}); JSON is UTF-8, whatever charset the Content-Type "
                        f"names") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise BodyError("body: not valid JSON (in UTF-8)") from None
