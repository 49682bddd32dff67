"""The BFF's error tree: how one attempt at a downstream call can fail.

BffError
└── AttemptFailed              one attempt failed; `outcome` says how (retry decides)
    ├── AttemptTimedOut        the per-try timeout or the request deadline fired
    ├── AttemptRejected        refused before the call: breaker open or bulkhead full
    ├── AttemptUnreachable     connection refused, reset or dropped mid-answer
    └── BadAnswer              an error status, or a body that is not the expected JSON

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


class AttemptRejected(AttemptFailed):
    pass


class AttemptUnreachable(AttemptFailed):
    pass


class BadAnswer(AttemptFailed):
    pass
