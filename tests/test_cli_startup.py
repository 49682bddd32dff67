"""`sim serve` starts fast (issue 13: ready in <= 0.5 s): what it imports, and its quick
option parser agreeing with typer's. Timing itself is benchmarks/bench_harness.py's job."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

import cli
from sim.fast_options import parse_options
from tests.cli_helpers import ALL_FREE, run_sim

# Heavy modules `sim serve` has no use for: each costs tens to hundreds of ms at start.
NOT_FOR_SERVE = ("pydantic", "locust", "gevent", "numpy", "scipy", "matplotlib",
                 "prometheus_client", "reports", "scenarios")

# Runs the real entry point in a child; once the ready file is written, a thread records
# what is imported and stops the simulator with SIGTERM like a user would.
SERVE_AND_LIST_MODULES = """
import json, os, signal, sys, threading, time
ready, listing = sys.argv[1], sys.argv[2]
def watch():
    while not os.path.exists(ready) or not open(ready).read():
        time.sleep(0.01)
    with open(listing, "w") as out:
        json.dump(sorted(sys.modules), out)
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=watch, daemon=True).start()
sys.argv = ["sim", "serve", "--ready-file", ready, *sys.argv[3:]]
import cli
cli.main()
"""


def test_serve_imports_nothing_heavy(tmp_path: Path) -> None:
    listing = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", SERVE_AND_LIST_MODULES, str(tmp_path / "ready.json"),
         str(listing), *ALL_FREE], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "stopped (SIGTERM)" in result.stdout
    loaded = json.loads(listing.read_text())
    assert "bff.app" in loaded  # it did serve the BFF
    heavy = [name for name in loaded if name.split(".")[0] in NOT_FOR_SERVE]
    assert heavy == []


def test_the_command_line_module_itself_stays_thin() -> None:
    """Every command imports what it needs in its own body: `import cli` (what any `sim`
    command pays first) brings in no package of the project's heavier parts, nor aiohttp.
    A regression guard: this held before issue 13 too."""
    listed = subprocess.run(
        [sys.executable, "-c", "import json, sys, cli; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=60, check=True).stdout
    tops = {name.split(".")[0] for name in json.loads(listed)}
    assert tops.isdisjoint({*NOT_FOR_SERVE, "aiohttp", "bff", "aiosqlite", "hdrh"})


def typer_arguments(argv: list[str]) -> dict[str, Any]:
    """What typer would pass to `serve` for argv (unset repeatable options: None)."""
    group = typer.main.get_command(cli.app)
    assert isinstance(group, typer.main.TyperGroup)
    command = group.get_command(group.make_context("sim", ["serve"]), "serve")
    assert command is not None
    params = command.make_context("serve", list(argv)).params
    return {name: (list(value) or None) if isinstance(value, tuple) else value
            for name, value in params.items()}


@pytest.mark.parametrize("argv", [
    [],
    ALL_FREE,
    ["--seed", "7", "--only", "cart", "--only=products", "--no-bff", "--arm",
     "--set", "inventory.retry.max_attempts=2", "--set=cart.timeout=1s"],
    ["--faults", "plan.toml", "--data-dir", "data", "--ready-file", "r.json",
     "--policy", "naive", "--bff", "--no-arm", "--users", "+5", "--host", "0.0.0.0"],
    ["--seed", "0", "--seed", str(2**63 - 1), "--admin-token", "secret"],
])
def test_quick_parser_gives_what_typer_gives(argv: list[str]) -> None:
    assert parse_options(cli.serve, argv) == typer_arguments(argv)


def test_the_token_comes_from_the_environment_as_with_typer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_ADMIN_TOKEN", "from-env")
    quick = parse_options(cli.serve, [])
    assert quick is not None and quick["admin_token"] == "from-env"
    assert quick == typer_arguments([])


@pytest.mark.parametrize("argv", [
    ["--help"], ["--seed"], ["--seed", "-1"], ["--seed", str(2**63)], ["--seed", "1.5"],
    ["--products", "many"], ["--sed", "1"], ["--see", "1"], ["extra"], ["--arm=yes"],
    ["--", "--seed", "1"],
])
def test_anything_unusual_is_left_to_typer(argv: list[str]) -> None:
    assert parse_options(cli.serve, argv) is None


def test_typer_still_reports_bad_options(tmp_path: Path) -> None:
    result = run_sim("serve", "--seed", "-1", *ALL_FREE)
    assert result.returncode == 2
    assert "--seed" in result.stderr and "Traceback" not in result.stderr


# A fresh interpreter (the tests' own has imported aiohttp already): aiohttp's default
# context, then an HTTPS request to a local server whose certificate is argv[1].
HTTPS_GET = """
import asyncio, ssl, sys
import cli  # installs the lazy CA store before aiohttp is imported
import aiohttp, aiohttp.connector

async def main():
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(sys.argv[1], sys.argv[2])
    async def answer(reader, writer):
        await reader.readuntil(b"\\r\\n\\r\\n")
        writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_side)
    port = server.sockets[0].getsockname()[1]
    print("CAs at start:", aiohttp.connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509_ca"])
    async with aiohttp.ClientSession() as client:
        try:
            async with client.get(f"https://127.0.0.1:{port}/") as response:
                print("answer:", response.status, await response.text())
        except aiohttp.ClientConnectorCertificateError:
            print("answer: certificate refused")

asyncio.run(main())
"""


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize(("trusted", "answer"), [(True, "answer: 200 ok"),
                                                 (False, "answer: certificate refused")])
def test_https_verifies_as_before_with_the_ca_store_read_late(
        certificate: tuple[Path, Path], trusted: bool, answer: str) -> None:
    """Not read at start (the saving), read before the first handshake (the same checks):
    a server whose CA is in the store (SSL_CERT_FILE) is accepted, any other refused."""
    cert, key = certificate
    env = {**os.environ, "SSL_CERT_FILE": str(cert)} if trusted else dict(os.environ)
    result = subprocess.run([sys.executable, "-c", HTTPS_GET, str(cert), str(key)],
                            capture_output=True, text=True, timeout=60, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["CAs at start: 0", answer]
