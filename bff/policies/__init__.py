"""Resilience policies of the BFF, each a frozen config plus pure code on an injected clock:
circuit breaker, retry (with backoff and jitter), retry budget and bulkhead."""

from bff.policies.breaker import (
    BreakerConfig,
    CircuitBreaker,
    Permit,
    Rejection,
)
from bff.policies.budget import BudgetConfig, RetryBudget
from bff.policies.bulkhead import Bulkhead, BulkheadConfig
from bff.policies.retry import (
    BREAKER_OPEN,
    BULKHEAD_FULL,
    CONNECTION_ERROR,
    MALFORMED,
    TIMEOUT,
    Outcome,
    RetryConfig,
    RetryDecision,
    RetryPolicy,
)

__all__ = [
    "BREAKER_OPEN",
    "BULKHEAD_FULL",
    "CONNECTION_ERROR",
    "MALFORMED",
    "TIMEOUT",
    "BreakerConfig",
    "BudgetConfig",
    "Bulkhead",
    "BulkheadConfig",
    "CircuitBreaker",
    "Outcome",
    "Permit",
    "Rejection",
    "RetryBudget",
    "RetryConfig",
    "RetryDecision",
    "RetryPolicy",
]
