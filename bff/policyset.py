"""A PolicySet: the request deadline, the two stage waits and one policy per downstream.

Presets (docs/policies.md):
- naive: no timeouts, retries or breaker; a 30 s safety cap on the whole request.
- book: the chapter's BFF (listings 10.8 + 10.11; departures in docs/policies.md): a 1 s
  wait for all of products, favorites and cart (504 if products is still pending, 500 if
  it failed), inventory per product in a
  1 s wait through the book's breaker (0.5 s timeout, 3 failures in 5 s, 30 s reset).
- book-retry: book plus listing 10.9's retry (3 attempts, 0.1 s timeout, 0.1 s apart,
  then TooManyRetries: a 500) around products, favorites and cart.
- resilient: a 1.5 s deadline with per-try timeouts inside it, jittered retries under a
  budget, failure/slow-rate breakers with half-open probes, bulkheads and fallbacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bff.policies import _checks as check
from bff.policies.breaker import BreakerConfig
from bff.policies.budget import BudgetConfig
from bff.policies.bulkhead import BulkheadConfig
from bff.policies.fallback import FallbackConfig
from bff.policies.hedge import HedgeConfig
from bff.policies.retry import RetryConfig
from sim import SERVICES
from sim.errors import ConfigError

NO_RETRY = RetryConfig(max_attempts=1)


@dataclass(frozen=True)
class DownstreamPolicy:
    timeout: float | None = None  # per try; None: only the deadline and stage wait bound it
    retry: RetryConfig = NO_RETRY
    budget: BudgetConfig | None = None
    breaker: BreakerConfig | None = None
    bulkhead: BulkheadConfig = field(default_factory=BulkheadConfig)
    fallback: FallbackConfig = field(default_factory=FallbackConfig)
    hedge: HedgeConfig = field(default_factory=HedgeConfig)

    def __post_init__(self) -> None:
        if self.timeout is not None:
            check.number("timeout", self.timeout, inclusive=False)


@dataclass(frozen=True)
class PolicySet:
    name: str
    deadline: float  # the whole /products/all request
    catalogue_wait: float | None  # how long to wait for products, favorites and cart
    inventory_wait: float | None  # how long to wait for the inventory calls
    products: DownstreamPolicy
    inventory: DownstreamPolicy
    favorites: DownstreamPolicy
    cart: DownstreamPolicy
    # False: answer as soon as products has failed for good, cancelling favorites and
    # cart. True: wait for all three (or the catalogue wait) first, as the book does.
    wait_for_whole_catalogue: bool = False

    def __post_init__(self) -> None:
        check.number("deadline", self.deadline, inclusive=False)
        if not isinstance(self.wait_for_whole_catalogue, bool):
            raise ConfigError("wait_for_whole_catalogue", f"expected true or false, got "
                                                          f"{self.wait_for_whole_catalogue!r}")
        for name in ("catalogue_wait", "inventory_wait"):
            value = getattr(self, name)
            if value is not None:
                check.number(name, value, inclusive=False)
        if self.products.fallback.kind == "null":
            raise ConfigError("products.fallback.kind", "products cannot be null: allowed "
                                                        "'none' (504/500) or 'last_good'")

    def downstream(self, name: str) -> DownstreamPolicy:
        if name not in SERVICES:
            raise KeyError(name)
        policy: DownstreamPolicy = getattr(self, name)
        return policy


def _naive() -> PolicySet:
    plain = DownstreamPolicy()
    return PolicySet("naive", deadline=30.0, catalogue_wait=None, inventory_wait=None,
                     products=replace(plain, fallback=FallbackConfig("none")),
                     inventory=plain, favorites=plain, cart=plain)


def _book() -> PolicySet:
    waited = DownstreamPolicy()  # the 1 s asyncio.wait is the stage wait
    return PolicySet(
        "book", deadline=2.0, catalogue_wait=1.0, inventory_wait=1.0,
        products=replace(waited, fallback=FallbackConfig("none")),
        inventory=DownstreamPolicy(timeout=0.5, breaker=BreakerConfig.book(3, 5.0, 30.0)),
        favorites=waited, cart=waited, wait_for_whole_catalogue=True)


def _book_retry() -> PolicySet:
    book = _book()
    retried = {name: replace(getattr(book, name), timeout=0.1, retry=RetryConfig.book())
               for name in ("products", "favorites", "cart")}
    return replace(book, name="book-retry", **retried)


def _resilient() -> PolicySet:
    retry = RetryConfig(max_attempts=3, backoff="exponential", base=0.025, cap=0.2,
                        jitter="full")
    budget = BudgetConfig(ratio=0.2, min_retries_per_second=5.0, window=10.0)
    # A count window, not a time window: when a downstream hangs, a closed-loop load slows
    # down, and a 10 s time window full of earlier successes would take many seconds of
    # failures to reach 50% (measured: not at all in a 6 s outage after a busy warm-up).
    # No consecutive-failure trip: one ~200 ms event-loop stall times out the ten inventory
    # calls of two pages at once, which tripped "20 in a row" with no fault injected.
    breaker = BreakerConfig(
        window_type="count", window_size=100, minimum_calls=20, failure_rate_threshold=0.5,
        slow_call_rate_threshold=0.8, slow_call_duration=0.15, open_duration=5.0,
        open_duration_multiplier=2.0, max_open_duration=60.0, half_open_max_probes=3)
    catalogue = DownstreamPolicy(timeout=0.25, retry=retry, budget=budget, breaker=breaker,
                                 bulkhead=BulkheadConfig(64),
                                 fallback=FallbackConfig("last_good", max_age=300.0))
    return PolicySet(
        "resilient", deadline=1.5, catalogue_wait=0.8, inventory_wait=None,
        products=catalogue,
        inventory=replace(catalogue, timeout=0.2, retry=replace(retry, max_attempts=2),
                          bulkhead=BulkheadConfig(256),
                          fallback=FallbackConfig("last_good", max_age=60.0)),
        favorites=replace(catalogue, fallback=FallbackConfig("last_good", max_age=60.0)),
        cart=replace(catalogue, fallback=FallbackConfig("last_good", max_age=60.0)))


PRESETS = {"naive": _naive, "book": _book, "book-retry": _book_retry,
           "resilient": _resilient}


def preset(name: str) -> PolicySet:
    factory = PRESETS.get(name)
    if factory is None:
        raise ConfigError("policy", f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    return factory()
