"""What a service shares with the host: its name, route, fault control and ledger.

The fault decision is made here once per request (header override > admin > phase >
base) and recorded; sim/services/exchange.py carries it out on the connection.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from sim.control import FaultControl
from sim.engine import NO_FAULT, Decision
from sim.errors import ConfigError
from sim.events import FaultInjected
from sim.faults import parse_fault_header
from sim.faults.answers import Reply, json_reply
from sim.ledger import Ledger
from sim.services.responses import method_not_allowed, not_found

MAX_ID = 2**63 - 1  # SQLite's INTEGER; a larger id would not fit a row
_MAX_ID_DIGITS = len(str(MAX_ID))
ALLOWED_METHODS = ("GET", "HEAD")


def valid_id(raw: str) -> int | None:
    """An id from a path, header or query: ASCII digits for 0 to MAX_ID, else None.

    int() alone would also take '１' (fullwidth), '١٢' (Arabic-Indic), '1_0' and '+1 '."""
    if not raw or len(raw) > _MAX_ID_DIGITS or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def id_error(name: str, raw: str) -> Reply:
    return json_reply(400, {"error": f"{name} must be an integer from 0 to 2**63-1 "
                                     f"(ASCII digits)", "field": name, "got": raw[:100]})


@dataclass(slots=True)
class Request:
    """One parsed request: only what the services and the fault engine read."""

    method: str
    path: str  # percent-decoded, without the query
    query: str
    keep_alive: bool
    http10: bool
    fault_header: str | None  # X-Sim-Fault
    request_id: str | None  # X-Request-Id
    started: float  # loop time when the request was complete
    refusal: Reply | None = None  # set when the request broke a size limit

    @property
    def head_only(self) -> bool:
        return self.method == "HEAD"

    def key(self) -> str:
        """fail_first counts per method + path + query."""
        return f"{self.method} {self.path}?{self.query}" if self.query else \
            f"{self.method} {self.path}"


class Route:
    """A service's one route, e.g. "/products/{id}/inventory". The handler gets the {id}
    segment ("" for a route without one) and answers from memory, without blocking."""

    def __init__(self, pattern: str, handler: Callable[[str], Reply]) -> None:
        self.pattern = pattern
        self.handler = handler
        self._head, marker, self._tail = pattern.partition("{id}")
        self._has_id = bool(marker)
        self._allow = (("Allow", ",".join(ALLOWED_METHODS)),)

    def serve(self, method: str, path: str) -> Reply:
        """The service's own reply to a request (404 and 405 included)."""
        if not self._has_id:
            segment, matched = "", path == self._head
        else:
            head, tail = self._head, self._tail
            segment = path[len(head):len(path) - len(tail)]
            matched = (len(path) > len(head) + len(tail) and path.startswith(head)
                       and path.endswith(tail) and "/" not in segment)
        if not matched:
            return not_found(path)
        if method not in ALLOWED_METHODS:
            return method_not_allowed(path, self._allow)
        return self.handler(segment)


@dataclass
class ServiceRuntime:
    name: str
    control: FaultControl
    ledger: Ledger
    route: Route
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _status_keys: dict[object, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    # Counted on arrival, not on answer: a black-box report sees when calls stop coming.
    received_key: tuple[str, tuple[str, ...]] = ("", ())

    def __post_init__(self) -> None:
        self.received_key = ("sim_requests_received_total", (self.name,))

    def next_request_id(self) -> str:
        return f"{self.name}-{next(self._ids)}"

    def request_id(self, request: Request) -> str:
        if request.request_id is None:
            request.request_id = self.next_request_id()  # one id for all its events
        return request.request_id

    def arrived(self) -> None:
        """Count one request as it arrives, before it waits behind others on its
        connection; each is later finished once: answered, reset or abandoned."""
        self.ledger.counters[self.received_key] += 1

    def finish(self, started: float, ended: float, status: object) -> None:
        """Count and time one answer; keys are cached because this runs on every request."""
        key = self._status_keys.get(status)
        if key is None:
            key = self._status_keys[status] = ("sim_requests_total", (self.name, str(status)))
        self.ledger.counters[key] += 1
        if isinstance(status, int):
            self.ledger.observe("sim_request_duration_seconds", (self.name,), ended - started)

    def decide(self, request: Request) -> Decision | Reply:
        """The faults for this request, recorded in the ledger; a Reply for a bad header."""
        if request.fault_header is None:
            faults, source = self.control.current(self.name)
        else:
            try:
                faults, source = parse_fault_header(request.fault_header), "header"
            except ConfigError as exc:
                return json_reply(400, {"error": exc.one_line(), "field": exc.field})
        if not faults:
            return NO_FAULT
        decision = self.control.engines[self.name].decide(
            faults, request.key, from_header=source == "header")
        self._record_injections(request, decision, source)
        return decision

    def _record_injections(self, request: Request, decision: Decision, source: str) -> None:
        if not decision.injections:
            return
        ledger = self.ledger
        now = ledger.at(request.started)
        request_id = self.request_id(request)
        for injection in decision.injections:
            ledger.emit(FaultInjected(now, self.name, request_id, injection.kind,
                                      injection.delay, injection.params, source))
            ledger.count("sim_faults_injected_total", (self.name, injection.kind))
