"""Retry: which failures to retry, and after how long. Pure: no sleeping, no clock.

The pipeline asks `decide()` after each failed attempt; it answers retry-after-`delay` or
the reason it will not: "breaker_open", "not_retryable", "max_attempts", "deadline" or
"budget" (checked in that order; the budget is charged last, only for a retry that will
really be scheduled). Backoff and jitter follow the AWS architecture blog post
"Exponential Backoff And Jitter".
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bff.policies import _checks as check
from bff.policies.budget import RetryBudget
from sim.errors import ConfigError, shown

Backoff = Literal["none", "fixed", "exponential"]
Jitter = Literal["none", "full", "equal", "decorrelated"]
OutcomeKind = Literal["timeout", "connection_error", "status", "breaker_open",
                      "bulkhead_full", "malformed", "error"]
BlockReason = Literal["max_attempts", "budget", "breaker_open", "deadline", "not_retryable"]
Exhausted = Literal["last_failure", "too_many_retries"]

BACKOFFS: tuple[Backoff, ...] = ("none", "fixed", "exponential")
JITTERS: tuple[Jitter, ...] = ("none", "full", "equal", "decorrelated")
OUTCOME_KINDS: tuple[OutcomeKind, ...] = (
    "timeout", "connection_error", "status", "breaker_open", "bulkhead_full", "malformed",
    "error")
EXHAUSTED: tuple[Exhausted, ...] = ("last_failure", "too_many_retries")
_RETRY_AFTER_STATUSES = (429, 503)


@dataclass(frozen=True)
class RetryConfig:
    """max_attempts counts the first attempt too (1 = never retry).

    backoff "fixed" waits `base`; "exponential" waits base * 2**(n-1) before retry n;
    both capped at `cap`, then jittered. "decorrelated" jitter brings its own growth
    (min(cap, uniform(base, 3 * previous))), so it needs backoff "exponential".
    A 429 is retried only when it carries a Retry-After that fits the deadline (or when
    listed in retry_on_status). An honoured Retry-After (429, 503) replaces a shorter delay.
    Every BFF call is a GET, so every call is idempotent and may be retried.

    on_exhausted: what a call reports once `max_attempts` tries have failed:
      "last_failure" (the last try's failure: timeouts make products a 504), or
      "too_many_retries", listing 10.9's way: sleep the backoff once more, then fail
      with TooManyRetries, which is not a timeout (products: 500).
    """

    max_attempts: int = 3
    backoff: Backoff = "exponential"
    base: float = 0.1
    cap: float = 2.0
    jitter: Jitter = "full"
    retry_on_status: tuple[int, ...] = (502, 503, 504)
    honour_retry_after: bool = True
    min_useful_attempt: float = 0.05
    on_exhausted: Exhausted = "last_failure"

    def __post_init__(self) -> None:
        check.integer("max_attempts", self.max_attempts, minimum=1)
        check.choice("backoff", self.backoff, BACKOFFS)
        check.number("base", self.base)
        check.number("cap", self.cap, minimum=self.base)
        check.choice("jitter", self.jitter, JITTERS)
        if self.jitter == "decorrelated" and self.backoff == "fixed":
            raise ConfigError("jitter", "'decorrelated' grows the delay itself; use it with "
                              "backoff 'exponential', or pick 'none', 'full' or 'equal'")
        # TOML and JSON give lists; keep the frozen config hashable.
        statuses: Iterable[object] = self.retry_on_status
        if isinstance(statuses, str | bytes) or not isinstance(statuses, Iterable):
            raise ConfigError("retry_on_status",
                              f"expected a list of HTTP statuses 400..599, got {shown(statuses)}")
        for status in statuses:
            if isinstance(status, bool) or not isinstance(status, int) or not (
                    400 <= status <= 599):
                raise ConfigError("retry_on_status",
                                  f"expected HTTP statuses 400..599, got {shown(status)}")
        object.__setattr__(self, "retry_on_status", tuple(self.retry_on_status))
        if not isinstance(self.honour_retry_after, bool):
            raise ConfigError("honour_retry_after",
                              f"expected true or false, got {self.honour_retry_after!r}")
        check.number("min_useful_attempt", self.min_useful_attempt)
        check.choice("on_exhausted", self.on_exhausted, EXHAUSTED)

    @classmethod
    def book(cls) -> RetryConfig:
        """The book's retry (listing 10.9): 3 attempts 0.1 s apart, on exceptions only
        (timeouts, connection errors): aiohttp does not raise on an error status. After
        the third failure it sleeps 0.1 s more and raises TooManyRetries."""
        return cls(max_attempts=3, backoff="fixed", base=0.1, cap=0.1, jitter="none",
                   retry_on_status=(), honour_retry_after=False,
                   on_exhausted="too_many_retries")


@dataclass(frozen=True)
class Outcome:
    """How an attempt failed. `status` is set for kind "status" (an HTTP error answer)."""

    kind: OutcomeKind
    status: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in OUTCOME_KINDS:
            raise ValueError(f"unknown outcome kind {self.kind!r}; expected {OUTCOME_KINDS}")
        if (self.kind == "status") != (self.status is not None):
            raise ValueError("an outcome has a status exactly when its kind is 'status'")

    @classmethod
    def http(cls, status: int) -> Outcome:
        return cls("status", status)

    def __str__(self) -> str:
        return f"status {self.status}" if self.kind == "status" else self.kind


TIMEOUT = Outcome("timeout")
CONNECTION_ERROR = Outcome("connection_error")
BREAKER_OPEN = Outcome("breaker_open")
BULKHEAD_FULL = Outcome("bulkhead_full")
MALFORMED = Outcome("malformed")
ERROR = Outcome("error")  # an exception the BFF did not expect: a failure, never retried


@dataclass(frozen=True)
class RetryDecision:
    """retry: wait `delay`, then attempt again. Otherwise `blocked` says why not.

    cause: the failure being judged ("timeout", "status 503", ...).
    backoff: the jittered backoff alone; pass it back as `previous_delay` next time.
    retry_after: the server's Retry-After when it set the delay.
    """

    retry: bool
    cause: str
    delay: float = 0.0
    backoff: float = 0.0
    retry_after: float | None = None
    blocked: BlockReason | None = None
    detail: str = ""


class RetryPolicy:
    def __init__(self, config: RetryConfig, rng: random.Random | None = None) -> None:
        self.config = config
        self._rng = rng if rng is not None else random.Random()

    def backoff(self, attempt: int, previous_delay: float | None = None,
                rng: random.Random | None = None) -> float:
        """The delay before retry number `attempt` (1 = the first retry).

        previous_delay is the backoff returned for the previous retry (decorrelated
        jitter grows from it; None on the first retry).
        """
        if attempt < 1:
            raise ValueError(f"attempt counts from 1, got {attempt}")
        cfg, rand = self.config, rng if rng is not None else self._rng
        if cfg.backoff == "none":
            return 0.0
        if cfg.jitter == "decorrelated":
            previous = max(cfg.base, previous_delay if previous_delay is not None else 0.0)
            return min(cfg.cap, rand.uniform(cfg.base, previous * 3))
        delay = cfg.base
        if cfg.backoff == "exponential":
            # Capped before exponentiating, so attempt 2000 does not overflow a float.
            delay = cfg.base * 2.0 ** min(attempt - 1, 1023)
        delay = min(cfg.cap, delay)
        if cfg.jitter == "full":
            return rand.uniform(0.0, delay)
        if cfg.jitter == "equal":
            return delay / 2 + rand.uniform(0.0, delay / 2)
        return delay

    def decide(self, attempt: int, outcome: Outcome, time_left: float | None = None,
               retry_after: float | None = None,
               budget: RetryBudget | None = None, *, previous_delay: float | None = None,
               rng: random.Random | None = None) -> RetryDecision:
        """Judge the failure of attempt number `attempt` (1 = the first).

        time_left: seconds to the request deadline (None: no deadline).
        retry_after: the answer's Retry-After in seconds, if it had one.
        budget: charged (try_spend) only when the answer is a retry.
        """
        cfg, cause = self.config, str(outcome)

        def blocked(reason: BlockReason, detail: str) -> RetryDecision:
            return RetryDecision(False, cause, blocked=reason, detail=detail)

        if outcome.kind == "breaker_open":
            return blocked("breaker_open", "the breaker rejected the call; retrying feeds it")
        honoured = (retry_after if cfg.honour_retry_after and outcome.status
                    in _RETRY_AFTER_STATUSES else None)
        problem = self._not_retryable(outcome, honoured)
        if problem:
            return blocked("not_retryable", problem)
        if attempt >= cfg.max_attempts:
            return blocked("max_attempts", f"{attempt} of {cfg.max_attempts} attempts made")
        backoff = self.backoff(attempt, previous_delay, rng)
        delay = max(backoff, honoured) if honoured is not None else backoff
        used = honoured if honoured is not None and honoured >= backoff else None
        # The epsilon keeps float rounding (0.1 + 0.05 > 0.15) from refusing an exact fit.
        if time_left is not None and time_left < delay + cfg.min_useful_attempt - 1e-9:
            return blocked("deadline", f"{time_left:.3f}s left < {delay:.3f}s delay + "
                           f"{cfg.min_useful_attempt:.3f}s useful attempt")
        if budget is not None and not budget.try_spend():
            return blocked("budget", "the downstream's retry budget is spent")
        return RetryDecision(True, cause, delay, backoff, used)

    def _not_retryable(self, outcome: Outcome, honoured: float | None) -> str:
        """Why this failure is never worth retrying ("" if it is)."""
        if outcome.kind in ("timeout", "connection_error"):
            return ""
        if outcome.kind != "status":
            return f"{outcome.kind} is not retried"
        if outcome.status in self.config.retry_on_status:
            return ""
        if outcome.status == 429 and honoured is not None:
            return ""
        if outcome.status == 429:
            return "429 without a Retry-After to honour"
        return f"status {outcome.status} is not in retry_on_status"
