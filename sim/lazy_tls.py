"""aiohttp without its import-time CA loading: a faster start for every `sim` command.

`aiohttp.connector` builds two default client SSL contexts when it is imported, and each
reads the system's CA store: about 0.1 s, a fifth of `sim serve`'s start-up (issue 13),
for HTTPS the simulator and the BFF never make (they talk plain HTTP on loopback).
`install()` makes that import build contexts which read the CA store just before their
first TLS handshake instead: verification is exactly as before, only later.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importlib.abc costs 25 ms to import; finders and loaders are duck-typed
    from importlib.abc import Loader

MODULE = "aiohttp.connector"


@contextmanager
def _lazy_contexts() -> Iterator[None]:
    """Contexts made inside (`ssl.create_default_context()` too) read the CA store at
    their first handshake instead of now."""
    import ssl

    class LazyCAContext(ssl.SSLContext):
        _deferred = True

        def _load_deferred(self) -> None:
            if self._deferred:
                self._deferred = False
                ssl.SSLContext.set_default_verify_paths(self)

        def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
            self._load_deferred()  # asyncio's TLS (so aiohttp's) comes through here
            return super().wrap_bio(*args, **kwargs)

        def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
            self._load_deferred()
            return super().wrap_socket(*args, **kwargs)

    deferred: list[ssl.SSLContext] = []

    def defer(context: ssl.SSLContext) -> None:
        deferred.append(context)

    # What load_default_certs() calls on Linux and macOS: noted, done at the handshake.
    ssl.SSLContext.set_default_verify_paths = defer  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        del ssl.SSLContext.set_default_verify_paths  # the C method shows through again
        for context in deferred:
            context.__class__ = LazyCAContext


class _LazyLoader:
    def __init__(self, loader: Loader) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        with _lazy_contexts():
            self._loader.exec_module(module)


class _Finder:
    """Finds aiohttp.connector as usual, and runs it with lazy contexts; then leaves."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname != MODULE:
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _LazyLoader(spec.loader)  # type: ignore[assignment]
        return spec


def install() -> None:
    """Before aiohttp is imported (once it is, this changes nothing)."""
    if MODULE not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
