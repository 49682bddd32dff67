"""Every error answer of every app is JSON: routes that do not exist, wrong methods, too
large bodies included (aiohttp's own are plain text)."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger("bff_sim")


class _ClientErrorsInOneLine(logging.Filter):
    """aiohttp logs a malformed request (a 400 it answers itself) with a full traceback;
    that is the client's mistake, not the server's, so it becomes one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError) and 400 <= (error.code or 0) < 500:
            record.msg = f"{record.getMessage()}: {error.code} " + \
                " ".join(str(error.message).split())[:200]
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


_ONE_LINE = _ClientErrorsInOneLine()


def log_client_errors_in_one_line() -> None:
    logging.getLogger("aiohttp.server").addFilter(_ONE_LINE)  # idempotent: one filter object


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
