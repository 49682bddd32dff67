"""The BFF's error tree: how one attempt at a downstream call can fail.

BffError
├── AttemptFailed              one attempt failed; `outcome` says how (retry decides)
│   ├── AttemptTimedOut        the per-try timeout or the request deadline fired
│   │   └── AttemptNotSent     never sent: the deadline had passed before its turn, or
│   │                          its timer fired while it waited for a pooled connection
│   ├── AttemptNotSentLocally  never sent: a local error (unencodable, client closed)
│   ├── AttemptRejected        refused before the call: breaker open or bulkhead full
│   ├── AttemptUnreachable     connection refused, reset or dropped mid-answer
│   ├── BadAnswer              an error status, or a body that is not the expected JSON
│   └── TooManyRetries         every try failed and the retry policy reports it the book's
│                              way (listing 10.9): a plain failure, never a timeout
└── TransportError             one HTTP exchange failed in the BFF's client (bff/transport)
    ├── ConnectFailed          no connection: refused, unreachable, name not resolved
    ├── ConnectionReset        closed or reset before the whole answer arrived
    ├── TransportTimeout       the attempt's one timer fired (connect, headers or body)
    ├── RequestNotSent         failed before any byte of the request was written
    │   ├── PoolTimeout        the timer fired while waiting for a pooled connection
    │   ├── UnencodableRequest a path or header with a line break or outside latin-1
    │   └── ClientClosed       the client was closed (the BFF is shutting down)
    ├── MalformedHttp          not HTTP/1.x, or headers or body over the client's caps
    └── MalformedJson          a complete answer whose body does not parse as JSON

bff/http.py turns a TransportError into an AttemptFailed: a timeout into AttemptTimedOut,
a pool timeout into AttemptNotSent, other RequestNotSent into AttemptNotSentLocally,
malformed JSON into BadAnswer, the rest into AttemptUnreachable. An HTTP error status is
not a TransportError: the client returns it as a response. An attempt whose error has a
`not_sent` reason never reached the wire: bff/attempt.py gives its breaker permit back
and counts it in bff_attempts_not_sent_total, never as a downstream failure.

A downstream call as a whole never raises: it returns a `CallResult` (bff/caller.py) whose
value is None when every attempt failed and no fallback could help.
"""

from __future__ import annotations

from bff.policies.retry import ERROR, TIMEOUT, Outcome


class BffError(Exception):
    """Base of the BFF's own errors."""


class AttemptFailed(BffError):
    # Why the attempt never reached the wire (the `reason` of bff_attempts_not_sent_total);
    # None: it was sent, or refused before it took a permit (AttemptRejected).
    not_sent: str | None = None

    def __init__(self, outcome: Outcome, detail: str = "",
                 retry_after: float | None = None) -> None:
        self.outcome = outcome
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(f"{outcome}{': ' + detail if detail else ''}")


class AttemptTimedOut(AttemptFailed):
    def __init__(self, which: str, seconds: float) -> None:
        self.which = which  # "per_try" | "deadline"
        super().__init__(TIMEOUT, f"{which} timeout after {seconds * 1000:.0f} ms")


class AttemptNotSent(AttemptTimedOut):
    def __init__(self, reason: str = "deadline", which: str = "deadline",
                 seconds: float = 0.0) -> None:
        self.not_sent = reason  # "deadline" | "pool_timeout"
        super().__init__(which, seconds)


class AttemptNotSentLocally(AttemptFailed):
    def __init__(self, reason: str, detail: str) -> None:
        self.not_sent = reason  # "unencodable" | "client_closed"
        super().__init__(ERROR, detail)


class AttemptRejected(AttemptFailed):
    pass


class AttemptUnreachable(AttemptFailed):
    pass


class BadAnswer(AttemptFailed):
    pass


class TooManyRetries(AttemptFailed):
    def __init__(self, last: AttemptFailed, attempts: int) -> None:
        super().__init__(last.outcome, f"too many retries: {attempts} tries failed, the "
                                       f"last with {last.outcome}")


class TransportError(BffError):
    """One exchange of the BFF's HTTP client failed; no response to show for it."""


class ConnectFailed(TransportError):
    pass


class ConnectionReset(TransportError):
    def __init__(self, detail: str, stale: bool = False) -> None:
        # stale: a reused connection the server had closed cleanly before any byte of the
        # answer came back, so the request can be sent again on a fresh one.
        self.stale = stale
        super().__init__(detail)


class TransportTimeout(TransportError):
    pass


class RequestNotSent(TransportError):
    """Nothing of the request was written: the downstream cannot have seen it."""

    reason = "local"  # the `reason` label of bff_attempts_not_sent_total


class PoolTimeout(RequestNotSent):
    reason = "pool_timeout"


class UnencodableRequest(RequestNotSent):
    reason = "unencodable"


class ClientClosed(RequestNotSent):
    reason = "client_closed"


class MalformedHttp(TransportError):
    pass


class MalformedJson(TransportError):
    pass
