"""Every error answer of every app is JSON: routes that do not exist, wrong methods, too
large bodies included (aiohttp's own are plain text)."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

log = logging.getLogger("bff_sim")


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        message = exc.reason if exc.text is None or exc.text.startswith(f"{exc.status}:") \
            else exc.text
        exc.text = json.dumps({"error": message, "status": exc.status,
                               "path": request.path[:200]})
        exc.content_type = "application/json"
        raise
    return response
