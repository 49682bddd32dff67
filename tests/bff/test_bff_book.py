"""The `book` preset reproduces the chapter's BFF on real ports against the simulator."""

from __future__ import annotations

from pathlib import Path

from tests.bff.live import live_bff


async def test_healthy_answer_has_the_book_shape_and_server_timing(tmp_path: Path) -> None:
    async with live_bff(tmp_path, "book") as live:
        answer = await live.get(headers={"X-User-Id": "1"})
    assert answer.status == 200
    assert answer.body["cart_items"] == 3
    assert answer.body["favorite_items"] == 3
    assert answer.body["degraded"] == []
    assert [p["product_id"] for p in answer.body["products"]] == list(range(1, 11))
    assert all(0 <= p["inventory"] <= 100 for p in answer.body["products"])
    names = [entry.split(";")[0] for entry in answer.server_timing.split(", ")]
    assert sorted(names) == sorted(["products", "favorites", "cart"] +
                                   [f"inventory-{i}" for i in range(1, 11)])
    assert 'desc="ok"' in answer.server_timing


async def test_products_hanging_is_a_504_after_about_a_second(tmp_path: Path) -> None:
    async with live_bff(tmp_path, "book") as live:
        await live.faults("products", [{"type": "hang"}])
        answer = await live.get()
    assert answer.status == 504
    assert "products" in answer.body["error"]
    assert 0.95 <= answer.elapsed < 1.5


async def test_products_failing_is_a_500(tmp_path: Path) -> None:
    async with live_bff(tmp_path, "book") as live:
        await live.faults("products", [{"type": "error", "status": 503}])
        answer = await live.get()
    assert answer.status == 500
    assert answer.body["cause"] == "status 503"
    assert answer.elapsed < 0.5


async def test_cart_down_gives_null_cart_items(tmp_path: Path) -> None:
    async with live_bff(tmp_path, "book") as live:
        await live.faults("cart", [{"type": "down"}])
        answer = await live.get(headers={"X-User-Id": "1"})
    assert answer.status == 200
    assert answer.body["cart_items"] is None
    assert answer.body["favorite_items"] == 3
    assert answer.body["degraded"] == ["cart"]


async def test_slow_inventory_trips_the_breaker_then_answers_fast(tmp_path: Path) -> None:
    async with live_bff(tmp_path, "book") as live:
        await live.faults("inventory", [{"type": "latency", "delay": "2s"}])
        first = await live.get()
        # Ten concurrent inventory calls time out at 0.5 s: 3 failures trip the book breaker.
        assert first.status == 200
        assert 0.45 <= first.elapsed < 1.2
        assert all(p["inventory"] is None for p in first.body["products"])
        later = [await live.get() for _ in range(3)]
        state = live.bff.callers["inventory"].breaker
        assert state is not None
        assert state.state == "open"
    assert all(a.elapsed < 0.2 for a in later)
    assert all(p["inventory"] is None for a in later for p in a.body["products"])
    assert all("inventory" in a.body["degraded"] for a in later)
    assert live.counter("bff_breaker_transitions_total", "inventory", "closed", "open") == 1
    assert live.counter("bff_breaker_not_permitted_total", "inventory") == 30


async def test_book_retry_retries_timeouts_three_times(tmp_path: Path) -> None:
    async with live_bff(tmp_path, "book-retry") as live:
        await live.faults("favorites", [{"type": "fail_first", "attempts": 2},
                                        {"type": "latency", "delay": "0s"}])
        await live.faults("cart", [{"type": "hang"}])
        answer = await live.get()
    # fail_first answers 503, which the book's retry does not retry (aiohttp raises no
    # exception on a status); a hang times out 3 times at 0.1 s, 0.1 s apart.
    assert answer.body["favorite_items"] is None
    assert answer.body["cart_items"] is None
    assert live.counter("bff_attempts_total", "cart", "timeout") == 3
    assert live.counter("bff_retries_scheduled_total", "cart") == 2
    assert live.counter("bff_attempts_total", "favorites", "status 503") == 1


async def test_book_retry_gives_up_with_too_many_retries_a_500(tmp_path: Path) -> None:
    # Listing 10.9: three 0.1 s tries, each followed by a 0.1 s sleep (the last one too),
    # then TooManyRetries, an exception like any other: products failed, a 500.
    async with live_bff(tmp_path, "book-retry") as live:
        await live.faults("products", [{"type": "hang"}])
        answer = await live.get()
    assert answer.status == 500
    assert answer.body["cause"] == "too_many_retries(timeout)"
    # 3 x (0.1 s try + 0.1 s sleep): the sleep after the last try too. A 500, not a
    # deadline's 504, says it ended inside the 1 s wait.
    assert answer.elapsed >= 0.55
    assert live.counter("bff_attempts_total", "products", "timeout") == 3
