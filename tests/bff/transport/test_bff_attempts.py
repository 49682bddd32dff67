"""The BFF's attempts through its transport: each simulator fault ends in the attempt
outcome the policies were built on (docs/policies.md), on real ports."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bff.context import RequestContext
from bff.transport import Limits
from tests.bff.live import Live, live_bff

ONE_TRY = {"cart.retry.max_attempts": 1}


async def test_a_hang_is_a_per_try_timeout_when_the_per_try_timeout_is_sooner(
        tmp_path: Path) -> None:
    async with live_bff(tmp_path, overrides=ONE_TRY) as live:
        await live.faults("cart", [{"type": "hang"}])
        answer = await live.get()
    assert answer.status == 200 and answer.body["cart_items"] is None
    assert live.counter("bff_timeouts_total", "cart", "per_try") == 1
    # per_try, not deadline: the resilient cart's 0.25 s per try, not its 0.8 s stage.
    assert live.counter("bff_attempts_total", "cart", "timeout") == 1


async def test_a_hang_is_a_deadline_timeout_without_a_per_try_timeout(tmp_path: Path) -> None:
    async with live_bff(tmp_path, overrides={**ONE_TRY, "cart.timeout": None}) as live:
        await live.faults("cart", [{"type": "hang"}])
        answer = await live.get()
    assert answer.status == 200 and answer.body["cart_items"] is None
    assert live.counter("bff_timeouts_total", "cart", "deadline") == 1


async def test_a_slow_body_times_out_like_a_hang(tmp_path: Path) -> None:
    async with live_bff(tmp_path, overrides=ONE_TRY) as live:
        await live.faults("cart", [{"type": "slow_body", "duration": "2s"}])
        await live.get()
    assert live.counter("bff_timeouts_total", "cart", "per_try") == 1


async def test_reset_malformed_and_down_are_their_own_outcomes(tmp_path: Path) -> None:
    async with live_bff(tmp_path, overrides=ONE_TRY) as live:
        for fault in ("reset", "malformed", "down"):
            await live.faults("cart", [{"type": fault}])
            answer = await live.get()
            assert answer.status == 200 and answer.body["cart_items"] is None
    assert live.counter("bff_attempts_total", "cart", "connection_error") == 2  # reset, down
    assert live.counter("bff_attempts_total", "cart", "malformed") == 1


async def test_a_503s_retry_after_is_read_and_honoured(tmp_path: Path) -> None:
    # Without the header the 503 would be retried after 25-200 ms; Retry-After: 1 (s) does
    # not fit the cart's 0.8 s stage, so the retry is blocked and the cart sent only once.
    async with live_bff(tmp_path) as live:
        await live.faults("cart", [{"type": "error", "status": 503, "retry_after": "1s"}])
        answer = await live.get()
        served = live.host.ledger.counters[("sim_requests_total", ("cart", "503"))]
    assert answer.body["cart_items"] is None
    assert live.counter("bff_attempts_total", "cart", "status 503") == 1
    assert live.counter("bff_retries_blocked_total", "cart", "deadline") == 1
    assert served == 1


def sent_downstream(live: Live) -> int:
    return sum(v for (name, _), v in live.host.ledger.counters.items()
               if name == "sim_requests_received_total")


def attempts(live: Live, downstream: str) -> int:
    return sum(v for (name, labels), v in live.host.ledger.counters.items()
               if name == "bff_attempts_total" and labels[0] == downstream)


async def test_a_request_id_http_cannot_carry_is_replaced_not_a_500(tmp_path: Path) -> None:
    # Old code: "€" is not latin-1, every attempt failed to encode (outcome error, a
    # breaker failure), each request a 500 and the simulator saw nothing.
    async with live_bff(tmp_path) as live:
        for _ in range(3):
            async with live.client.get(live.host.urls["bff"] + "/products/all",
                                       headers={"X-Request-Id": "€"}) as response:
                assert response.status == 200
                assert response.headers["X-Request-Id"].startswith("bff-")
        async with live.client.get(live.host.urls["bff"] + "/products/all",
                                   headers={"X-Request-Id": "r-42 ok"}) as response:
            assert response.headers["X-Request-Id"] == "r-42 ok"  # a usable id is kept
        served = sent_downstream(live)
    assert served >= 4 * 3  # products, favorites, cart (and inventory) every time
    for downstream in ("products", "favorites", "cart"):
        assert live.counter("bff_attempts_total", downstream, "error") == 0


async def test_a_request_that_cannot_be_encoded_is_not_sent_not_a_failure(
        tmp_path: Path) -> None:
    # Past the front's check (a bug elsewhere): the attempt never reached the wire.
    async with live_bff(tmp_path, overrides=ONE_TRY) as live:
        loop = asyncio.get_running_loop()
        now = loop.time()
        ctx = RequestContext("€", loop.time, now + 1.0, now + 1.0)
        cart = live.bff.callers["cart"]
        result = await cart.call("/users/3/cart", 3, ctx)
        assert cart.breaker is not None
        window = cart.breaker.snapshot()
    assert result.value is None
    assert (window["calls"], window["failed_calls"]) == (0, 0)  # the permit was given back
    assert live.counter("bff_attempts_not_sent_total", "cart", "unencodable") == 1
    assert attempts(live, "cart") == 0
    assert sent_downstream(live) == 0


async def test_waiting_for_a_pooled_connection_is_not_sent_not_a_timeout(
        tmp_path: Path) -> None:
    # The cart's only connection (per_host=1) is held by a GET to the hanging cart; the
    # BFF's own cart attempt waits for it until its 0.25 s per try. Old code: a timeout,
    # an abandoned attempt and a breaker failure for a request the cart never saw.
    async with live_bff(tmp_path, overrides=ONE_TRY) as live:
        await live.faults("cart", [{"type": "hang"}])
        cart = live.bff.callers["cart"]
        cart.transport.limits = Limits(per_host=1)  # read when the cart's pool is made
        holder = asyncio.ensure_future(
            cart.transport.get(cart.origin, "/users/3/cart", None, 30.0))
        for _ in range(500):  # until the cart has it (5 s at most)
            if live.host.ledger.counters.get(("sim_requests_received_total", ("cart",))):
                break
            await asyncio.sleep(0.01)
        answer = await live.get()
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)
        assert cart.breaker is not None
        window = cart.breaker.snapshot()
    assert answer.status == 200 and answer.body["cart_items"] is None
    assert live.counter("bff_attempts_not_sent_total", "cart", "pool_timeout") == 1
    assert attempts(live, "cart") == 0
    assert live.counter("bff_abandoned_total", "cart") == 0
    assert (window["calls"], window["failed_calls"]) == (0, 0)
    assert live.counter("sim_requests_received_total", "cart") == 1  # the holder's only


async def test_an_attempt_after_the_client_closed_is_not_sent_not_a_failure(
        tmp_path: Path) -> None:
    # Shutting down: old code called it a connection_error, a breaker failure.
    async with live_bff(tmp_path, overrides=ONE_TRY) as live:
        loop = asyncio.get_running_loop()
        now = loop.time()
        cart = live.bff.callers["cart"]
        await cart.transport.close()
        result = await cart.call("/users/3/cart", 3,
                                 RequestContext("r1", loop.time, now + 1.0, now + 1.0))
        assert cart.breaker is not None
        window = cart.breaker.snapshot()
    assert result.value is None
    assert (window["calls"], window["failed_calls"]) == (0, 0)
    assert live.counter("bff_attempts_not_sent_total", "cart", "client_closed") == 1
    assert attempts(live, "cart") == 0
