"""Inferring a BFF's policies from its traffic: synthetic call sequences with known truth."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reports.blackbox import BlackboxInputs, FaultWindow, TrafficPoint, _transitions, infer
from sim import SERVICES

PAGES_PER_S = 100.0
SAMPLE = 0.1  # seconds, as the run samples


def traffic(seconds: float, calls_per_page: Callable[[str, float], float],
            pages_per_s: Callable[[float], float] = lambda t: PAGES_PER_S,
            abandoned: Callable[[str, float], float] = lambda s, t: 0.0,
            latency: float = 0.02) -> tuple[list[TrafficPoint], list[tuple[float, float]]]:
    """Cumulative samples every 0.1 s and page start times for a BFF whose calls per page
    to each service follow `calls_per_page(service, t)` (inventory: 10 per products 2xx);
    each page answers `latency` seconds after it starts."""
    points, pages = [], []
    received = dict.fromkeys(SERVICES, 0.0)
    ok = dict.fromkeys(SERVICES, 0.0)
    gone = dict.fromkeys(SERVICES, 0.0)
    t, carry = 0.0, 0.0
    while t < seconds:
        count = pages_per_s(t) * SAMPLE + carry
        whole = int(count)
        carry = count - whole
        starts = [t + SAMPLE * i / max(whole, 1) for i in range(whole)]
        pages += [(start, start + latency) for start in starts]
        for service in SERVICES:
            received[service] += whole * calls_per_page(service, t)
            ok[service] += whole * min(1.0, calls_per_page(service, t))
            gone[service] += whole * abandoned(service, t)
        t = round(t + SAMPLE, 6)
        points.append(TrafficPoint(t, {k: int(v) for k, v in received.items()},
                                   {k: int(v) for k, v in ok.items()},
                                   {k: int(v) for k, v in gone.items()}))
    return points, pages


def healthy(service: str, t: float) -> float:
    return 10.0 if service == "inventory" else 1.0


def run(points: list[TrafficPoint], pages: list[tuple[float, float]],
        windows: dict[str, list[FaultWindow]]) -> dict:
    result: dict = infer(BlackboxInputs(points, pages, windows, {"inventory": 10.0}))
    return result["services"]


OUTAGE = {"inventory": [FaultWindow("outage", 5.0, 9.0, True)]}


def test_calls_that_stop_while_pages_go_on_are_an_open_breaker() -> None:
    # The BFF's breaker opens 0.3 s into the outage and closes 1.7 s after it ends.
    def calls(service: str, t: float) -> float:
        return 0.0 if service == "inventory" and 5.3 <= t < 10.7 else healthy(service, t)

    seen = run(*traffic(15, calls), OUTAGE)["inventory"]
    assert [m["to"] for m in seen["breaker_moves"]] == ["open", "closed"]
    outage = seen["phases"]["outage"]
    assert outage["time_to_open"] == pytest.approx(0.3, abs=0.15)
    assert outage["time_to_close"] == pytest.approx(1.7, abs=0.15)
    assert seen["opens"] == 1
    assert seen["amplification"] == pytest.approx(1 - 5.4 / 15, abs=0.03)


def test_fewer_pages_are_not_a_breaker() -> None:
    def pages(t: float) -> float:  # the load drops to a trickle mid-run, calls follow it
        return 2.0 if 5.0 <= t < 9.0 else PAGES_PER_S

    seen = run(*traffic(15, healthy, pages), OUTAGE)["inventory"]
    assert seen["breaker_moves"] == []
    assert seen["phases"]["outage"]["time_to_open"] is None


def test_inventory_follows_products_answers_not_pages() -> None:
    # Products fails: pages go on, but there is no product list to ask inventory about.
    def calls(service: str, t: float) -> float:
        if 5.0 <= t < 9.0 and service == "products":
            return 0.5  # answered, but 5xx: counted below as not ok
        if 5.0 <= t < 9.0 and service == "inventory":
            return 0.0
        return healthy(service, t)

    points, pages = traffic(15, calls)
    for point in points:  # products' answers in the outage were errors
        lost = sum(1 for p, _ in pages if 5.0 <= p < min(point.t, 9.0)) * 0.5
        point.ok["products"] -= int(lost)  # type: ignore[index]
    services = run(points, pages, {"products": [FaultWindow("outage", 5.0, 9.0, True)]})
    assert services["inventory"]["breaker_moves"] == []
    assert services["products"]["opens"] == 0  # half the calls is no open either


def test_retries_show_as_amplification() -> None:
    def calls(service: str, t: float) -> float:  # three attempts per call in the fault
        return 3 * healthy(service, t) if service == "cart" and 5.0 <= t < 9.0 else \
            healthy(service, t)

    seen = run(*traffic(15, calls), {"cart": [FaultWindow("outage", 5.0, 9.0, True)]})
    assert seen["cart"]["amplification"] == pytest.approx((11 + 4 * 3) / 15, abs=0.05)
    assert seen["cart"]["reference_from"] == "measured"
    assert seen["products"]["amplification"] == pytest.approx(1.0, abs=0.02)


def test_a_down_service_hides_the_open_but_not_the_close() -> None:
    # Under `down` nothing reaches the simulator; the breaker stays open 2 s past the end.
    def calls(service: str, t: float) -> float:
        return 0.0 if service == "cart" and 5.0 <= t < 11.0 else healthy(service, t)

    seen = run(*traffic(15, calls), {"cart": [FaultWindow("down", 5.0, 9.0, False)]})
    down = seen["cart"]["phases"]["down"]
    assert down["observable"] is False
    assert down["time_to_open"] is None
    assert down["time_to_close"] == pytest.approx(2.0, abs=0.15)
    # The unseen 4 s are left out of the amplification; the 2 s without calls after count.
    assert seen["cart"]["amplification"] == pytest.approx(9 / 11, abs=0.03)


def test_calls_that_lag_their_pages_are_not_a_breaker() -> None:
    # A slow BFF (cold start, busy machine) makes its calls up to 0.6 s after the page
    # started: the first bins have pages but no calls yet.
    points, pages = traffic(10, healthy, latency=0.6)
    lagged = [TrafficPoint(p.t + 0.5, p.received, p.ok, p.abandoned) for p in points]
    lagged.insert(0, TrafficPoint(0.0, dict.fromkeys(SERVICES, 0),
                                  dict.fromkeys(SERVICES, 0), dict.fromkeys(SERVICES, 0)))
    for seen in run(lagged, pages, {}).values():
        assert seen["breaker_moves"] == []


def test_one_quiet_bin_is_noise_not_a_breaker() -> None:
    def calls(service: str, t: float) -> float:
        return 0.0 if service == "inventory" and 6.0 <= t < 6.2 else healthy(service, t)

    assert run(*traffic(15, calls), OUTAGE)["inventory"]["breaker_moves"] == []


def test_without_a_healthy_stretch_the_nominal_fanout_is_the_reference() -> None:
    def calls(service: str, t: float) -> float:
        return 2 * healthy(service, t)  # every call retried once, all run long

    seen = run(*traffic(10, calls), {s: [FaultWindow("all", 0.0, 10.0, True)]
                                     for s in SERVICES})
    assert seen["favorites"]["reference_from"] == "nominal"
    assert seen["favorites"]["amplification"] == pytest.approx(2.0, abs=0.05)


def test_abandoned_calls_are_counted() -> None:
    points, pages = traffic(5, healthy, abandoned=lambda s, t: 0.5 if s == "cart" else 0.0)
    seen = run(points, pages, {})
    assert seen["cart"]["abandoned"] == pytest.approx(250, abs=5)
    assert seen["products"]["abandoned"] == 0


def test_calls_between_the_bands_do_not_hold_an_open() -> None:
    # One bin at 10% of normal, then three at 30%: never below LOW (20%) for two bins.
    levels = [1, 1, 1, 0.1, 0.3, 0.3, 0.3, 1, 1, 1]
    assert _transitions(levels, 0.25) == []


def test_calls_between_the_bands_break_a_hold_then_a_real_open_counts() -> None:
    levels = [1, 1, 0.1, 0.3, 0.1, 0.1, 0.1, 0.3, 1, 0.3, 1, 1]
    assert [m["to"] for m in _transitions(levels, 0.25)] == ["open", "closed"]
    # The hold starts at bin 4; calls stopped 30% into bin 3 (it had 30% of its calls).
    assert _transitions(levels, 0.25)[0]["t"] == pytest.approx(3.3 * 0.25, abs=0.01)


def test_a_breaker_closed_before_the_fault_ends_closes_in_zero_seconds() -> None:
    # Opens 1 s into a 3 s outage, closes at 2 s; a false trip at 5-6 s is another open.
    def calls(service: str, t: float) -> float:
        quiet = 1.0 <= t < 2.0 or 5.0 <= t < 6.0
        return 0.0 if service == "cart" and quiet else healthy(service, t)

    seen = run(*traffic(10, calls), {"cart": [FaultWindow("outage", 0.0, 3.0, True)]})
    cart = seen["cart"]
    assert [m["to"] for m in cart["breaker_moves"]] == ["open", "closed"] * 2
    assert cart["phases"]["outage"]["time_to_close"] == 0.0
    assert cart["opens"] == 2


def test_a_bff_that_stalled_calling_every_service_is_not_a_breaker() -> None:
    """A busy machine froze the BFF for 0.8 s: pages kept arriving, no service got a
    call, then it caught up. A breaker stops the calls to one service; all of them at
    once is the BFF, and no open is inferred (it used to infer one per service)."""
    def calls(service: str, t: float) -> float:
        if 3.0 <= t < 3.8:
            return 0.0
        if 3.8 <= t < 4.6:  # caught up: the stalled pages' calls arrive
            return 2 * healthy(service, t)
        return healthy(service, t)

    seen = run(*traffic(10, calls), {})
    assert {name: s["opens"] for name, s in seen.items()} == dict.fromkeys(SERVICES, 0)


def test_an_open_inside_its_own_fault_still_counts_when_the_others_pause_too() -> None:
    """Favorites' breaker opens 0.3 s into its outage, while the BFF also stalled for
    0.5 s calling the others. The faulted service's open counts from when its calls
    stopped; the others, which paused together, get none."""
    def calls(service: str, t: float) -> float:
        if service == "favorites" and 5.3 <= t < 10.7:
            return 0.0
        if 5.3 <= t < 5.8:
            return 0.0
        return healthy(service, t)

    outage = {"favorites": [FaultWindow("outage", 5.0, 9.0, True)]}
    seen = run(*traffic(15, calls), outage)
    assert seen["favorites"]["opens"] == 1
    assert seen["favorites"]["phases"]["outage"]["time_to_open"] == \
        pytest.approx(0.3, abs=0.15)
    assert all(seen[name]["opens"] == 0 for name in ("products", "inventory", "cart"))
