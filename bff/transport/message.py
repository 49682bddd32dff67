"""What goes over the wire: where to (Origin), the request bytes, and the Response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from bff.errors import MalformedJson, UnencodableRequest
from sim.errors import ConfigError


@dataclass(frozen=True)
class Origin:
    """One downstream's scheme-less address; parsed once, not per request."""

    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ConfigError("url", f"expected http://HOST[:PORT], got {url!r} "
                                     "(the BFF's client speaks plain HTTP/1.1)")
        try:
            port = parts.port or 80
        except ValueError:
            raise ConfigError("url", f"bad port in {url!r}") from None
        return cls(parts.hostname, port)

    @cached_property  # per request otherwise; cached_property works on a frozen dataclass
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Response:
    """A complete answer. `headers` has lower-case names; repeated ones joined by ", "."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        body = self.body
        try:
            if body[:1] in _JSON_OPENERS and body[1:2] != b"\0":
                # What json.loads(body) does after detect_encoding() finds UTF-8, without
                # asking it: an object or array opener with no NUL after it is UTF-8.
                return json.loads(body.decode("utf-8", "surrogatepass"))
            return json.loads(body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise MalformedJson(f"status {self.status}: {exc}") from None


_JSON_OPENERS = (b"{", b"[")


def _checked(text: str) -> str:
    # No header injection through a field (the BFF front sanitises the request id too).
    if "\r" in text or "\n" in text:
        raise UnencodableRequest(f"line break in an HTTP request field: {text!r}")
    return text


def encode_get(origin: Origin, path: str, headers: Mapping[str, str] | None) -> bytes:
    """The request's bytes; UnencodableRequest (nothing sent) for a field HTTP cannot carry."""
    lines = [f"GET {_checked(path) or '/'} HTTP/1.1\r\nHost: {origin.authority}\r\n"]
    if headers:
        lines.extend(f"{_checked(name)}: {_checked(value)}\r\n"
                     for name, value in headers.items())
    lines.append("\r\n")
    try:
        return "".join(lines).encode("latin-1")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start:exc.end]
        raise UnencodableRequest(f"{bad!r} is outside latin-1 in an HTTP request") from None
