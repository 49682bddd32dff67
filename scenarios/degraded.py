"""When is a 200 answer "degraded"? A small declarative rule over the page's JSON, so a
BFF that is not ours (and has no `degraded` list) is judged by its own response shape.

```toml
[degraded]          # the answer is degraded when any condition holds
any = [
  { path = "degraded", is = "non_empty" },           # our BFF names its fallbacks
  { path = "products[*].inventory", is = "null" },   # any product without a stock level
  { path = "cart_items", is = "null_or_missing" },
]
```

A path is keys joined by dots; `key[*]` steps into every element of a list. `is` is one
of CHECKS. The default (DEFAULT_RULE) works for the book's shape and for our BFF. Pure and
free of locust: the loader validates rules, the locustfile applies them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sim.errors import ConfigError, shown

CHECKS = ("null", "missing", "null_or_missing", "non_empty", "empty", "true", "false")
_MISSING = object()
_STEP = re.compile(r"^([A-Za-z0-9_$-]+)(\[\*\])?$")

DEFAULT_RULE: dict[str, Any] = {"any": [
    {"path": "degraded", "is": "non_empty"},
    {"path": "products[*].inventory", "is": "null"},
    {"path": "cart_items", "is": "null"},
    {"path": "favorite_items", "is": "null"},
]}


def parse_rule(value: object, field: str = "degraded") -> dict[str, Any]:
    """A validated rule (the TOML table as plain data), or ConfigError naming the field."""
    if not isinstance(value, Mapping) or set(value) != {"any"}:
        raise ConfigError(field, 'expected a table with one key, any = [{ path = "...", '
                                 'is = "null" }, ...]')
    conditions = value["any"]
    if not isinstance(conditions, Sequence) or isinstance(conditions, str) or \
            not conditions:
        raise ConfigError(f"{field}.any", "expected a non-empty array of conditions")
    out = []
    for index, condition in enumerate(conditions):
        where = f"{field}.any[{index}]"
        if not isinstance(condition, Mapping) or set(condition) != {"path", "is"}:
            raise ConfigError(where, 'expected { path = "a.b[*].c", is = "null" }')
        path, check = condition["path"], condition["is"]
        if not isinstance(path, str) or not path or \
                not all(_STEP.match(step) for step in path.split(".")):
            raise ConfigError(f"{where}.path", f"expected keys joined by dots, a list step "
                                               f"as key[*], got {shown(path)}")
        if check not in CHECKS:
            raise ConfigError(f"{where}.is", f"got {shown(check)}; allowed: "
                                             f"{', '.join(CHECKS)}")
        out.append({"path": path, "is": check})
    return {"any": out}


def _values(node: Any, steps: Sequence[str]) -> Iterator[Any]:
    """Every value at the path (_MISSING where a key is absent)."""
    if not steps:
        yield node
        return
    match = _STEP.match(steps[0])
    key, each = (match.group(1), bool(match.group(2))) if match else (steps[0], False)
    value = node.get(key, _MISSING) if isinstance(node, Mapping) else _MISSING
    if value is _MISSING:
        yield _MISSING
    elif each:
        if isinstance(value, list):
            for item in value:
                yield from _values(item, steps[1:])
        else:
            yield _MISSING
    else:
        yield from _values(value, steps[1:])


def _holds(value: Any, check: str) -> bool:
    if check == "missing":
        return value is _MISSING
    if check == "null_or_missing":
        return value is None or value is _MISSING
    if value is _MISSING:
        return False
    if check == "null":
        return value is None
    if check in ("true", "false"):
        return value is (check == "true")
    filled = bool(value) if isinstance(value, list | dict | str | bool) else value is not None
    return filled if check == "non_empty" else not filled


def is_degraded(body: Any, rule: Mapping[str, Any]) -> bool:
    return any(_holds(value, condition["is"])
               for condition in rule["any"]
               for value in _values(body, condition["path"].split(".")))
