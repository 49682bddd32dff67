"""Per-service fault decisions: probability applied once, here, from seeded streams.

A service's decisions come from one stream per (seed, service, phase): a stream starts
afresh, with its own RNG and fail_first memory, each time a set of faults comes into force
(a phase begins, the timeline is re-armed, the admin API replaces or clears faults). So
the k-th decision of a phase depends on the seed, the plan and the k-1 requests before it
in that phase, never on how many requests came in earlier phases. Each stream keeps a
digest of its decision sequence so two runs can be compared (docs/faults.md).
"""

from __future__ import annotations

import hashlib
import random
import struct
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.faults import Fault, Injection
from sim.faults.fail_first import AttemptCounter, FailFirst

# The digest hashes the first DIGEST_FIRST decisions apart from all of them: two runs with
# different request counts share at least their first decisions, and that hash says so.
DIGEST_FIRST = 100
# Streams remembered per service for the report, so admin changes in a loop stay bounded.
MAX_STREAMS = 1000
HEADER_STREAM = "header"


@dataclass(frozen=True)
class Decision:
    """What to do to one request: delays to add, then at most one terminal fault."""

    delays: tuple[Injection, ...]
    terminal: Fault | None
    terminal_injection: Injection | None

    @property
    def delay(self) -> float:
        return sum(injection.delay for injection in self.delays)

    @property
    def injections(self) -> tuple[Injection, ...]:
        tail = (self.terminal_injection,) if self.terminal_injection else ()
        return self.delays + tail

    def header_value(self) -> str:
        if self.terminal_injection is None and not self.delays:
            return _NONE
        return ", ".join(i.header_value() for i in self.injections)

    def fingerprint(self) -> bytes:
        """The decision at full precision, for the digest: each delay's kind and exact
        float, then the terminal fault with its parameters. Cheap: it runs per request."""
        line = b""
        for injection in self.delays:
            line += injection.kind.encode() + _DOUBLE.pack(injection.delay)
        terminal = self.terminal_injection
        if terminal is not None:
            line += f"|{terminal.kind}:{terminal.delay!r}:{terminal.params!r}".encode()
        return line + b"\n"


_DOUBLE = struct.Struct("<d")
NO_FAULT = Decision((), None, None)
_NONE = "none"


class DecisionDigest:
    """How many decisions a stream made, a hash of the first DIGEST_FIRST and of all."""

    def __init__(self) -> None:
        self.count = 0
        self._all = hashlib.sha256()
        self._first: Any = None  # the hash of all, frozen when it covers DIGEST_FIRST

    def add(self, decision: Decision) -> None:
        self._all.update(decision.fingerprint())
        self.count += 1
        if self.count == DIGEST_FIRST:
            self._first = self._all.copy()

    def to_dict(self) -> dict[str, Any]:
        first = self._first if self._first is not None else self._all
        return {"decisions": self.count, "first": min(self.count, DIGEST_FIRST),
                "first_sha256": first.hexdigest()[:16],
                "all_sha256": self._all.hexdigest()[:16]}


class DecisionStream:
    """One seeded run of decisions: its RNG, its fail_first attempts and its digest."""

    def __init__(self, seed: int, service: str, name: str, started: float = 0.0,
                 faults: Sequence[Fault] = ()) -> None:
        self.name = name
        self.started = started
        self.had_faults = bool(faults)
        self.rng = random.Random(f"{seed}:{service}:{name}:faults")
        self.attempts = AttemptCounter()
        self.digest = DecisionDigest()

    def decide(self, faults: Sequence[Fault], request_key: Callable[[], str]) -> Decision:
        delays: list[Injection] = []
        terminal: Fault | None = None
        terminal_injection: Injection | None = None
        for fault in faults:
            if fault.kind == "down":
                continue
            # One draw per fault per request, fired or not, keeps the stream aligned.
            roll = self.rng.random()
            if isinstance(fault, FailFirst):
                attempt = self.attempts.next_attempt(request_key())
                if terminal is None and attempt <= fault.attempts and roll < fault.probability:
                    terminal = fault
                    terminal_injection = Injection(
                        fault.kind, params={"attempt": attempt, "status": fault.status})
                continue
            if roll >= fault.probability:
                continue
            if not fault.terminal:
                delays.append(fault.sample(self.rng))
            elif terminal is None:
                terminal = fault
                terminal_injection = fault.sample(self.rng)
        decision = Decision(tuple(delays), terminal, terminal_injection)
        self.digest.add(decision)
        return decision

    @property
    def worth_reporting(self) -> bool:
        return self.had_faults or self.digest.count > 0

    def to_dict(self) -> dict[str, Any]:
        return {"stream": self.name, "t": round(self.started, 4), **self.digest.to_dict()}


class FaultEngine:
    """One per service, so decisions never depend on traffic to other services. The
    owner (FaultControl) calls `enter` whenever other faults come into force."""

    def __init__(self, service: str, seed: int) -> None:
        self.service = service
        self.seed = seed
        self._stream = DecisionStream(seed, service, "base")
        # X-Sim-Fault faults: a stream of their own, so a test that targets one call
        # does not shift the plan's decisions for every later request.
        self._header = DecisionStream(seed, service, HEADER_STREAM)
        # Finished streams as their digests only: their RNG and fail_first memory go.
        self._closed: deque[dict[str, Any]] = deque(maxlen=MAX_STREAMS)

    @property
    def stream(self) -> str:
        return self._stream.name

    def enter(self, stream: str, faults: Sequence[Fault], started: float = 0.0) -> None:
        """`faults` come into force now, from `stream` (base, phase:<name>, admin,
        after): a fresh RNG and fail_first memory, so a re-armed phase replays."""
        if self._stream.worth_reporting:
            self._closed.append(self._stream.to_dict())
        self._stream = DecisionStream(self.seed, self.service, stream, started, faults)

    def decide(self, faults: Sequence[Fault], request_key: Callable[[], str],
               from_header: bool = False) -> Decision:
        if not faults:
            return NO_FAULT
        return (self._header if from_header else self._stream).decide(faults, request_key)

    def digests(self) -> list[dict[str, Any]]:
        """Each stream that had faults in force or decided anything, oldest first."""
        current = [self._stream.to_dict()] if self._stream.worth_reporting else []
        return [*self._closed, *current]
