"""The BFF's error tree: how one attempt at a downstream call can fail.

BffError
├── AttemptFailed              one attempt failed; `outcome` says how (retry decides)
│   ├── AttemptTimedOut        the per-try timeout or the request deadline fired
│   │   └── AttemptNotSent     the deadline had passed before the attempt could be sent
│   ├── AttemptRejected        refused before the call: breaker open or bulkhead full
│   ├── AttemptUnreachable     connection refused, reset or dropped mid-answer
│   ├── BadAnswer              an error status, or a body that is not the expected JSON
│   └── TooManyRetries         every try failed and the retry policy reports it the book's
│                              way (listing 10.9): a plain failure, never a timeout
└── TransportError             one HTTP exchange failed in the BFF's client (bff/transport)
    ├── ConnectFailed          no connection: refused, unreachable, name not resolved
    ├── ConnectionReset        closed or reset before the whole answer arrived
    ├── TransportTimeout       the attempt's one timer fired (connect, headers or body)
    ├── MalformedHttp          not HTTP/1.x, or headers or body over the client's caps
    └── MalformedJson          a complete answer whose body does not parse as JSON

bff/http.py turns a TransportError into an AttemptFailed: a timeout into AttemptTimedOut,
malformed JSON into BadAnswer, the rest into AttemptUnreachable. An HTTP error status is
not a TransportError: the client returns it as a response.

A downstream call as a whole never raises: it returns a `CallResult` (bff/caller.py) whose
value is None when every attempt failed and no fallback could help.
"""

from __future__ import annotations

from bff.policies.retry import TIMEOUT, Outcome


class BffError(Exception):
    """Base of the BFF's own errors."""


class AttemptFailed(BffError):
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
    def __init__(self) -> None:
        super().__init__("deadline", 0.0)


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


class MalformedHttp(TransportError):
    pass


class MalformedJson(TransportError):
    pass
