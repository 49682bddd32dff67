"""The BFF's attempts through its transport: each simulator fault ends in the attempt
outcome the policies were built on (docs/policies.md), on real ports."""

from __future__ import annotations

from pathlib import Path

from tests.bff.live import live_bff

ONE_TRY = {"cart.retry.max_attempts": 1}


async def test_a_hang_is_a_per_try_timeout_when_the_per_try_timeout_is_sooner(
        tmp_path: Path) -> None:
    async with live_bff(tmp_path, overrides=ONE_TRY) as live:
        await live.faults("cart", [{"type": "hang"}])
        answer = await live.get()
    assert answer.status == 200 and answer.body["cart_items"] is None
    assert live.counter("bff_timeouts_total", "cart", "per_try") == 1
    assert live.counter("bff_attempts_total", "cart", "timeout") == 1
    assert answer.elapsed < 0.8  # resilient cart: 0.25 s per try, not the 0.8 s stage


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
