"""Fault types, registered by name.

Adding a type takes one file with a frozen Fault subclass and one line in FAULT_TYPES.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sim.durations import parse_duration
from sim.errors import ConfigError, shown
from sim.faults.base import Fault, Injection
from sim.faults.down import Down
from sim.faults.error import Error
from sim.faults.fail_first import MAX_ATTEMPTS, FailFirst
from sim.faults.hang import Hang
from sim.faults.latency import Latency
from sim.faults.malformed import Malformed
from sim.faults.reset import Reset
from sim.faults.slow_body import SlowBody
from sim.faults.spec import SpecReader

FAULT_TYPES: dict[str, type[Fault]] = {
    cls.kind: cls
    for cls in (Latency, Error, Reset, Hang, SlowBody, Malformed, Down, FailFirst)
}

__all__ = ["FAULT_TYPES", "Fault", "Injection", "parse_fault", "parse_fault_header",
           "parse_faults"]


def parse_fault(spec: object, field: str) -> Fault:
    if not isinstance(spec, Mapping):
        raise ConfigError(field, f"expected a table with a 'type' field, got {shown(spec)}")
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in FAULT_TYPES:
        raise ConfigError(f"{field}.type",
                          f"must be one of {', '.join(FAULT_TYPES)}; got {shown(kind)}")
    return FAULT_TYPES[str(kind)].from_spec(SpecReader(spec, field))


# Faults stack (two latencies add up), so an unbounded list is a way to make one request
# take forever or a plan take megabytes; no real experiment needs more than a few.
MAX_FAULTS = 16


def _check_count(field: str, count: int) -> None:
    if count > MAX_FAULTS:
        raise ConfigError(field, f"at most {MAX_FAULTS} faults per service, got {count}")


def parse_faults(value: object, field: str) -> tuple[Fault, ...]:
    """A service's faults: a list of fault tables (a single table is accepted too)."""
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise ConfigError(field, f"expected a list of fault tables, got {shown(value)}")
    _check_count(field, len(value))
    return tuple(parse_fault(item, f"{field}[{index}]") for index, item in enumerate(value))


_HEADER_HELP = ("latency=<duration>, error=<400..599>, hang, reset, malformed, "
                f"slow_body=<duration>, fail_first=<1..{MAX_ATTEMPTS}>, none")


def _header_int(text: str, low: int, high: int) -> int:
    """ASCII digits only: int() also takes "１", "1_0" and " +1"."""
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValueError(text)
    return int(text)


def parse_fault_header(value: str) -> tuple[Fault, ...]:
    """`X-Sim-Fault: latency=300ms; error=503` -> faults for this one request ("none" = none)."""
    field = "X-Sim-Fault"
    faults: list[Fault] = []
    items = value.replace(",", ";").split(";")
    _check_count(field, sum(1 for item in items if item.strip() not in ("", "none")))
    for raw in items:
        item = raw.strip()
        if not item or item == "none":
            continue
        name, _, arg = (part.strip() for part in item.partition("="))
        try:
            if name == "latency" and arg:
                faults.append(Latency(a=parse_duration(arg, field)))
            elif name == "error":
                faults.append(Error(status=_header_int(arg, 400, 599) if arg else 503))
            elif name in ("hang", "reset", "malformed") and not arg:
                faults.append({"hang": Hang, "reset": Reset, "malformed": Malformed}[name]())
            elif name == "slow_body" and arg:
                faults.append(SlowBody(duration=parse_duration(arg, field)))
            elif name == "fail_first" and arg:
                faults.append(FailFirst(attempts=_header_int(arg, 1, MAX_ATTEMPTS)))
            else:
                raise ValueError
        except (ValueError, ConfigError):
            raise ConfigError(field,
                              f"cannot read {shown(item)}; allowed: {_HEADER_HELP}") from None
    return tuple(faults)
