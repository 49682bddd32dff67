"""The BFF's own downstream HTTP client: HTTP/1.1 GET on asyncio.Protocol + httptools.

    transport = Transport(Limits(per_host=256))
    response = await transport.get(Origin.parse("http://127.0.0.1:8001"),
                                   "/products/1/inventory", {"X-Request-Id": "r1"},
                                   timeout=0.5)
    response.status, response.headers["retry-after"], response.json()
    await transport.close()

- Keep-alive pool per host with a cap on open connections; over the cap, callers wait.
- One timer per request (loop.call_at) covers connect, pool wait, headers and body; if
  it fires in the pool wait, that is a PoolTimeout: nothing was sent.
- Bodies by Content-Length, chunked, or running to the connection's close; 1xx skipped;
  headers and body capped (Limits).
- A connection goes back to the pool only after a complete answer that allows keep-alive;
  a cancelled, timed-out or failed exchange drops its connection.
- A kept-alive connection the server had closed just before the request (clean close, no
  byte back) is retried once on a fresh one; nothing else is retried.
- Errors: the TransportError tree in bff/errors.py; RequestNotSent (pool timeout,
  unencodable request, client closed) means not a byte went out. A 503 is a Response.

aiohttp stays for the BFF's server side, the admin API and the web parts; it was 75 % of
the BFF's CPU as a client (docs/performance.md).
"""

from bff.transport.client import Transport
from bff.transport.message import Origin, Response
from bff.transport.pool import Limits

__all__ = ["Limits", "Origin", "Response", "Transport"]
