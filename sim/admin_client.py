"""Talking to a running simulator's admin API (used by `sim fault`)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from sim.durations import format_duration, parse_duration
from sim.errors import ConfigError, SimError


class AdminUnreachable(SimError):
    exit_code = 2


def latency_spec(value: str, jitter: str | None) -> dict[str, Any]:
    """"300ms" -> fixed; "100ms..500ms" -> uniform."""
    if ".." in value:
        low, high = (part.strip() for part in value.split("..", 1))
        spec: dict[str, Any] = {"type": "latency", "dist": "uniform", "min": low, "max": high}
        parse_duration(low, "--latency")
        parse_duration(high, "--latency")
    else:
        parse_duration(value, "--latency")
        spec = {"type": "latency", "delay": value}
    if jitter:
        parse_duration(jitter, "--jitter")
        spec["jitter"] = jitter
    return spec


def fault_specs(*, latency: str | None = None, jitter: str | None = None,
                error_rate: float | None = None, status: int = 503,
                retry_after: str | None = None, reset: float | None = None,
                hang: float | None = None, malformed: float | None = None,
                slow_body: str | None = None, fail_first: int | None = None,
                down: bool = False) -> list[dict[str, Any]]:
    """The fault list that `sim fault` options describe, in the plan's JSON shape."""
    specs: list[dict[str, Any]] = []
    if down:
        specs.append({"type": "down"})
    if latency:
        specs.append(latency_spec(latency, jitter))
    for kind, probability in (("reset", reset), ("hang", hang), ("malformed", malformed)):
        if probability is not None:
            _check_probability(f"--{kind}", probability)
            specs.append({"type": kind, "probability": probability})
    if error_rate is not None:
        _check_probability("--error-rate", error_rate)
        error: dict[str, Any] = {"type": "error", "rate": error_rate, "status": status}
        if retry_after:
            error["retry_after"] = retry_after
        specs.append(error)
    if slow_body:
        specs.append({"type": "slow_body", "duration": slow_body})
    if fail_first is not None:
        specs.append({"type": "fail_first", "attempts": fail_first, "status": status})
    return specs


def _check_probability(option: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(option, f"must be a probability in [0, 1], got {value:g}")


async def admin_request(admin_url: str, method: str, path: str, token: str | None = None,
                        body: Any = None, wait: float = 10.0) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = admin_url.rstrip("/") + path
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=wait)
                                         ) as session, \
                session.request(method, url, json=body, headers=headers) as response:
            # JSON is UTF-8 (RFC 8259), whatever charset a proxy in between may claim.
            text = (await response.read()).decode("utf-8", "replace")
            status = response.status
    except TimeoutError:
        raise AdminUnreachable(f"the admin API at {admin_url} did not answer within "
                               f"{format_duration(wait)}; is --admin the simulator's admin "
                               f"port?") from None
    except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a URL aiohttp cannot use
        raise AdminUnreachable(f"cannot reach the admin API at {admin_url} ({exc}); is "
                               f"`sim serve` running, and is --admin right?") from None
    try:
        payload = json.loads(text)
    except ValueError:
        payload = {"error": text.strip()[:200]}
    if status >= 400:
        message = payload.get("error", text) if isinstance(payload, dict) else text
        raise ConfigError("admin API", f"{method} {path} -> {status}: {str(message)[:300]}")
    return payload
