"""Seeded fault decisions: same seed and plan, same decisions, whatever the interleaving."""

from __future__ import annotations

from sim.engine import FaultEngine
from sim.faults import parse_faults

FLAKY = parse_faults([
    {"type": "latency", "dist": "uniform", "min": "0s", "max": "1s", "probability": 0.5},
    {"type": "error", "rate": 0.3},
    {"type": "reset", "probability": 0.1},
], "faults")


def trace(engine: FaultEngine, n: int) -> list[str]:
    return [engine.decide(FLAKY, lambda i=i: f"GET /x/{i}").header_value() for i in range(n)]


def test_same_seed_same_decisions_and_delays() -> None:
    assert trace(FaultEngine("inventory", 11), 200) == trace(FaultEngine("inventory", 11), 200)
    assert trace(FaultEngine("inventory", 11), 200) != trace(FaultEngine("inventory", 12), 200)


def test_services_do_not_share_a_stream() -> None:
    # Interleaving requests to another service must not change this service's decisions.
    alone = trace(FaultEngine("inventory", 5), 100)
    inventory, cart = FaultEngine("inventory", 5), FaultEngine("cart", 5)
    interleaved = []
    for i in range(100):
        cart.decide(FLAKY, lambda: "GET /users/1/cart")
        interleaved.append(inventory.decide(FLAKY, lambda i=i: f"GET /x/{i}").header_value())
    assert interleaved == alone


def test_probabilities_are_honoured() -> None:
    engine = FaultEngine("cart", 3)
    decisions = [engine.decide(FLAKY, lambda: "k") for _ in range(10_000)]
    errors = sum(d.terminal is not None and d.terminal.kind == "error" for d in decisions)
    delayed = sum(bool(d.delays) for d in decisions)
    assert 0.28 < errors / 10_000 < 0.32
    assert 0.48 < delayed / 10_000 < 0.52


def test_only_one_terminal_fault_fires() -> None:
    engine = FaultEngine("cart", 1)
    both = parse_faults([{"type": "error"}, {"type": "reset"}], "f")
    decision = engine.decide(both, lambda: "k")
    assert decision.terminal is not None and decision.terminal.kind == "error"
    assert [i.kind for i in decision.injections] == ["error"]
