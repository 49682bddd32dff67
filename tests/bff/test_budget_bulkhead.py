"""Retry budget (exhaustion, refill over the window) and bulkhead cap, on a fake clock."""

from __future__ import annotations

import pytest

from bff.clock import FakeClock
from bff.policies.budget import BudgetConfig, RetryBudget
from bff.policies.bulkhead import Bulkhead, BulkheadConfig
from bff.policies.windows import BucketRing
from sim.errors import ConfigError


def spend_all(budget: RetryBudget) -> int:
    spent = 0
    while budget.try_spend():
        spent += 1
        assert spent < 10_000
    return spent


def test_minimum_retries_per_second_allow_retries_without_traffic(clock: FakeClock) -> None:
    budget = RetryBudget(BudgetConfig(ratio=0.2, min_retries_per_second=5, window=10.0), clock)
    assert spend_all(budget) == 50
    assert budget.snapshot()["refused"] == 1


def test_ratio_of_recent_requests_buys_retries(clock: FakeClock) -> None:
    budget = RetryBudget(BudgetConfig(ratio=0.2, min_retries_per_second=0, window=10.0), clock)
    assert not budget.try_spend()
    for _ in range(10):
        budget.record_request()
    assert spend_all(budget) == 2
    for _ in range(5):
        budget.record_request()
    assert spend_all(budget) == 1  # 0.2 * 15 = 3 in all


def test_budget_refills_as_spent_retries_leave_the_window(clock: FakeClock) -> None:
    budget = RetryBudget(BudgetConfig(ratio=0.0, min_retries_per_second=0.3, window=10.0),
                         clock)  # 3 retries per 10 s
    assert budget.try_spend()
    clock.advance(4.0)
    assert budget.try_spend()
    assert budget.try_spend()
    assert not budget.try_spend()
    clock.advance(6.0)  # the first retry has left the window, the others have not
    assert budget.try_spend()
    assert not budget.try_spend()
    clock.advance(10.0)
    assert spend_all(budget) == 3


def test_requests_leave_the_window_too(clock: FakeClock) -> None:
    budget = RetryBudget(BudgetConfig(ratio=0.5, min_retries_per_second=0, window=2.0), clock)
    for _ in range(4):
        budget.record_request()
    clock.advance(2.0)
    assert not budget.try_spend()
    assert budget.snapshot() == {"requests_in_window": 0, "retries_in_window": 0,
                                 "available": 0.0, "spent": 0, "refused": 1}


def test_bucket_ring_memory_does_not_grow_with_traffic() -> None:
    ring = BucketRing(10.0, fields=1)
    for i in range(100_000):
        ring.add(i * 0.001, 0)
    # 100 s of traffic at 1000/s: only the last ~10 s are counted, in 10 buckets.
    assert 9_000 <= ring.totals(100.0)[0] <= 10_000
    assert len(ring._counts) == 10


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"ratio": -0.1}, "ratio"), ({"min_retries_per_second": "5"}, "min_retries_per_second"),
     ({"window": 0}, "window")])
def test_invalid_budget_config_names_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BudgetConfig(**fields)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_bulkhead_rejects_at_once_over_the_cap() -> None:
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=2))
    assert bulkhead.try_enter()
    assert bulkhead.try_enter()
    assert not bulkhead.try_enter()
    assert not bulkhead.try_enter()
    assert (bulkhead.in_use, bulkhead.rejected) == (2, 2)
    bulkhead.leave()
    assert bulkhead.try_enter()
    assert bulkhead.snapshot() == {"max_concurrent": 2, "in_use": 2, "peak": 2, "rejected": 2}


def test_bulkhead_without_a_cap_admits_everything() -> None:
    bulkhead = Bulkhead(BulkheadConfig())
    assert all(bulkhead.try_enter() for _ in range(1000))
    assert (bulkhead.in_use, bulkhead.rejected) == (1000, 0)


def test_leaving_more_than_entered_is_a_bug_not_a_bigger_cap() -> None:
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1))
    with pytest.raises(RuntimeError, match="without a matching try_enter"):
        bulkhead.leave()


def test_bulkhead_cap_must_be_positive() -> None:
    with pytest.raises(ConfigError) as caught:
        BulkheadConfig(max_concurrent=0)
    assert (caught.value.field, caught.value.problem) == (
        "max_concurrent", "expected an integer from 1 to 1,000,000, got 0")
