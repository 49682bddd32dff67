"""Retry policy: backoff bounds per jitter type (seeded RNG) and every retry/block rule."""

from __future__ import annotations

import random

import pytest

from bff.clock import FakeClock
from bff.overrides import resolve_policy
from bff.policies.budget import BudgetConfig, RetryBudget
from bff.policies.retry import (
    BREAKER_OPEN,
    BULKHEAD_FULL,
    CONNECTION_ERROR,
    MALFORMED,
    TIMEOUT,
    Outcome,
    RetryConfig,
    RetryPolicy,
)
from sim.errors import ConfigError


def policy(**overrides: object) -> RetryPolicy:
    fields: dict[str, object] = {"max_attempts": 3, "backoff": "exponential", "base": 0.1,
                                 "cap": 1.0, "jitter": "none"}
    fields.update(overrides)
    return RetryPolicy(RetryConfig(**fields), random.Random(42))  # type: ignore[arg-type]


def samples(p: RetryPolicy, attempt: int, n: int = 2000) -> list[float]:
    rng = random.Random(7)
    return [p.backoff(attempt, None, rng) for _ in range(n)]


# -- backoff -------------------------------------------------------------------------------

def test_no_backoff_retries_at_once() -> None:
    assert policy(backoff="none", jitter="full").backoff(3, None) == 0.0


def test_fixed_backoff_is_the_base_every_time() -> None:
    p = policy(backoff="fixed", base=0.1, cap=0.1)
    assert [p.backoff(n, None) for n in (1, 2, 5)] == [0.1, 0.1, 0.1]


def test_exponential_backoff_doubles_up_to_the_cap() -> None:
    p = policy(base=0.1, cap=1.0)
    delays = [p.backoff(n, None) for n in range(1, 7)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert p.backoff(5000, None) == 1.0  # no overflow on absurd attempt numbers


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 0.1), (3, 0.4), (8, 1.0)])
def test_full_jitter_spreads_over_zero_to_the_exponential_delay(
        attempt: int, ceiling: float) -> None:
    got = samples(policy(jitter="full"), attempt)
    assert all(0.0 <= d <= ceiling for d in got)
    assert min(got) < 0.05 * ceiling
    assert max(got) > 0.95 * ceiling  # really spread, not a fixed fraction


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 0.1), (3, 0.4), (8, 1.0)])
def test_equal_jitter_keeps_at_least_half_the_delay(attempt: int, ceiling: float) -> None:
    got = samples(policy(jitter="equal"), attempt)
    assert all(ceiling / 2 <= d <= ceiling for d in got)
    assert min(got) < 0.55 * ceiling
    assert max(got) > 0.95 * ceiling


def test_fixed_backoff_with_full_jitter_stays_under_the_base() -> None:
    got = samples(policy(backoff="fixed", base=0.2, jitter="full"), 4)
    assert all(0.0 <= d <= 0.2 for d in got)


def test_decorrelated_jitter_grows_from_the_previous_delay_within_base_and_cap() -> None:
    p = policy(jitter="decorrelated", base=0.1, cap=1.0)
    rng = random.Random(3)
    for _ in range(500):
        first = p.backoff(1, None, rng)
        assert 0.1 <= first <= 0.3
        previous = first
        for attempt in range(2, 12):
            delay = p.backoff(attempt, previous, rng)
            assert 0.1 <= delay <= min(1.0, 3 * previous)
            previous = delay
    chain = [0.1]
    for attempt in range(1, 30):
        chain.append(p.backoff(attempt, chain[-1], rng))
    assert max(chain) > 0.9  # it does grow towards the cap


def test_the_same_seed_gives_the_same_delays() -> None:
    a = [policy(jitter="full").backoff(n, None, random.Random(1)) for n in range(1, 6)]
    b = [policy(jitter="full").backoff(n, None, random.Random(1)) for n in range(1, 6)]
    assert a == b


# -- decide --------------------------------------------------------------------------------

@pytest.mark.parametrize("outcome", [TIMEOUT, CONNECTION_ERROR, Outcome.http(502),
                                     Outcome.http(503), Outcome.http(504)])
def test_transient_failures_of_idempotent_calls_are_retried(outcome: Outcome) -> None:
    decision = policy().decide(1, outcome, time_left=2.0)
    assert decision.retry
    assert decision.delay == pytest.approx(0.1)
    assert decision.cause == str(outcome)
    assert decision.blocked is None


@pytest.mark.parametrize(
    ("outcome", "detail"),
    [(Outcome.http(500), "status 500 is not in retry_on_status"),
     (Outcome.http(404), "status 404 is not in retry_on_status"),
     (Outcome.http(400), "status 400 is not in retry_on_status"),
     (BULKHEAD_FULL, "bulkhead_full is not retried"),
     (MALFORMED, "malformed is not retried")])
def test_other_failures_are_not_retryable(outcome: Outcome, detail: str) -> None:
    decision = policy().decide(1, outcome, time_left=2.0)
    assert (decision.retry, decision.blocked, decision.detail) == (
        False, "not_retryable", detail)


def test_a_breaker_rejection_is_never_retried() -> None:
    decision = policy().decide(1, BREAKER_OPEN, time_left=5.0)
    assert (decision.retry, decision.blocked) == (False, "breaker_open")


def test_idempotent_only_is_not_a_setting_that_silently_does_nothing() -> None:
    # Every BFF call is a GET: a switch for non-idempotent calls could never take effect,
    # so it is gone, and setting it says so instead of being accepted and ignored.
    with pytest.raises(ConfigError) as raised:
        resolve_policy("resilient", ["inventory.retry.idempotent_only=false"])
    assert raised.value.field == "--set inventory.retry.idempotent_only"
    assert "unknown setting" in raised.value.problem


def test_max_attempts_counts_the_first_attempt() -> None:
    p = policy(max_attempts=3)
    assert p.decide(2, TIMEOUT).retry
    decision = p.decide(3, TIMEOUT)
    assert (decision.blocked, decision.detail) == ("max_attempts", "3 of 3 attempts made")
    assert policy(max_attempts=1).decide(1, TIMEOUT).blocked == "max_attempts"


def test_a_retry_is_skipped_when_delay_plus_a_useful_attempt_does_not_fit() -> None:
    p = policy(backoff="fixed", base=0.1, cap=0.1, min_useful_attempt=0.05)
    assert p.decide(1, TIMEOUT, time_left=0.15).retry  # exactly fits
    decision = p.decide(1, TIMEOUT, time_left=0.149)
    assert decision.blocked == "deadline"
    assert decision.detail == "0.149s left < 0.100s delay + 0.050s useful attempt"
    assert p.decide(1, TIMEOUT, time_left=None).retry  # no deadline


def test_429_is_retried_only_with_a_retry_after_that_fits_the_deadline() -> None:
    p = policy()
    too_many = Outcome.http(429)
    assert p.decide(1, too_many, time_left=5.0).blocked == "not_retryable"
    decision = p.decide(1, too_many, time_left=5.0, retry_after=0.5)
    assert (decision.retry, decision.delay, decision.retry_after) == (True, 0.5, 0.5)
    assert p.decide(1, too_many, time_left=0.52, retry_after=0.5).blocked == "deadline"
    assert policy(honour_retry_after=False).decide(
        1, too_many, time_left=5.0, retry_after=0.5).blocked == "not_retryable"


def test_retry_after_on_503_replaces_a_shorter_backoff_only() -> None:
    p = policy()
    longer = p.decide(1, Outcome.http(503), time_left=5.0, retry_after=1.5)
    assert (longer.delay, longer.backoff, longer.retry_after) == (1.5, pytest.approx(0.1), 1.5)
    shorter = policy(max_attempts=5).decide(3, Outcome.http(503), time_left=5.0,
                                            retry_after=0.01)
    assert (shorter.delay, shorter.retry_after) == (pytest.approx(0.4), None)
    ignored = policy(honour_retry_after=False).decide(
        1, Outcome.http(503), time_left=5.0, retry_after=1.5)
    assert ignored.delay == pytest.approx(0.1)
    not_503 = p.decide(1, Outcome.http(502), time_left=5.0, retry_after=1.5)
    assert not_503.delay == pytest.approx(0.1)  # Retry-After means something on 429/503


def test_an_exhausted_budget_blocks_and_only_real_retries_are_charged() -> None:
    clock = FakeClock()
    budget = RetryBudget(BudgetConfig(ratio=0.0, min_retries_per_second=0.2, window=10.0),
                         clock)  # 2 retries per 10 s
    p = policy()
    assert p.decide(1, Outcome.http(500), budget=budget).blocked == "not_retryable"
    assert p.decide(1, TIMEOUT, time_left=0.01, budget=budget).blocked == "deadline"
    assert p.decide(1, TIMEOUT, budget=budget).retry
    assert p.decide(1, TIMEOUT, budget=budget).retry
    decision = p.decide(1, TIMEOUT, budget=budget)
    assert (decision.retry, decision.blocked) == (False, "budget")
    assert (budget.spent, budget.refused) == (2, 1)


def test_book_retry_config() -> None:
    p = RetryPolicy(RetryConfig.book())
    assert [p.decide(n, TIMEOUT).delay for n in (1, 2)] == [0.1, 0.1]
    assert p.decide(3, TIMEOUT).blocked == "max_attempts"
    assert p.decide(1, Outcome.http(503)).blocked == "not_retryable"


# -- config --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [({"max_attempts": 0}, "max_attempts", "expected an integer from 1 to 1,000,000, got 0"),
     ({"backoff": "linear"}, "backoff",
      "expected one of 'none', 'fixed', 'exponential', got 'linear'"),
     ({"jitter": "some"}, "jitter",
      "expected one of 'none', 'full', 'equal', 'decorrelated', got 'some'"),
     ({"base": 0.5, "cap": 0.1}, "cap", "expected a number >= 0.5, got 0.1"),
     ({"base": -1}, "base", "expected a number >= 0, got -1"),
     ({"retry_on_status": (200,)}, "retry_on_status",
      "expected HTTP statuses 400..599, got 200"),
     ({"backoff": "fixed", "jitter": "decorrelated"}, "jitter", "'decorrelated'"),
     ({"honour_retry_after": "yes"}, "honour_retry_after", "expected true or false"),
     ({"on_exhausted": "raise"}, "on_exhausted",
      "expected one of 'last_failure', 'too_many_retries', got 'raise'")])
def test_invalid_retry_config_names_the_field_and_allowed_values(
        fields: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RetryConfig(**fields)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert message in caught.value.problem


def test_statuses_from_a_toml_list_become_a_tuple() -> None:
    config = RetryConfig(retry_on_status=[503, 504])  # type: ignore[arg-type]
    assert config.retry_on_status == (503, 504)
    hash(config)


def test_outcome_requires_a_status_exactly_for_status_kind() -> None:
    with pytest.raises(ValueError, match="status"):
        Outcome("status")
    with pytest.raises(ValueError, match="status"):
        Outcome("timeout", 503)
    assert str(Outcome.http(503)) == "status 503"
