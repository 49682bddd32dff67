"""`sim serve` and `sim fault` as a user runs them: real processes, real ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.cli_helpers import ALL_FREE, run_sim, running_sim


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_answers_takes_faults_and_stops_on_sigint(tmp_path: Path) -> None:
    with running_sim(["serve", *ALL_FREE], tmp_path / "ready.json") as (process, urls):
        inventory = f"{urls['inventory']}/products/1/inventory"
        assert fetch(inventory)[0] == 200

        result = run_sim("fault", "inventory", "--latency", "300ms", "--admin", urls["admin"])
        assert result.returncode == 0, result.stderr
        assert "latency(dist=fixed, delay=300ms) (admin)" in result.stdout
        started = time.monotonic()
        assert fetch(inventory)[0] == 200
        assert 0.29 <= time.monotonic() - started < 2.0

        assert run_sim("fault", "cart", "--down", "--admin", urls["admin"]).returncode == 0
        with pytest.raises(urllib.error.URLError, match="refused"):
            fetch(f"{urls['cart']}/users/1/cart")
        assert run_sim("fault", "cart", "--clear", "--admin", urls["admin"]).returncode == 0
        assert fetch(f"{urls['cart']}/users/1/cart")[0] == 200

        _status, metrics = fetch(f"{urls['admin']}/metrics")
        assert b'sim_faults_injected_total{fault="latency",service="inventory"} 1.0' in metrics

        process.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        out, err = process.communicate(timeout=10)
        assert time.monotonic() - stopped < 2.0  # target: within a second
        assert process.returncode == 0
        assert "stopped (SIGINT)" in out and "Traceback" not in err


def test_the_ready_file_appears_whole(tmp_path: Path) -> None:
    """A BFF under test polls the ready file for the ports. It used to be truncated and
    rewritten in place: a poller could read it empty or half-written, and a file already
    at the path (here with a second name, a hard link) was overwritten. Now it is renamed
    into place: a reader sees the old file or the whole new one, 0644 like other outputs."""
    ready, other_name = tmp_path / "ready.json", tmp_path / "previous.json"
    ready.write_text("stale")
    os.link(ready, other_name)
    seen: list[str] = []
    stop = threading.Event()

    def poll() -> None:  # as a BFF would, every millisecond (the machine is shared)
        while not stop.is_set():
            seen.append(ready.read_text())
            time.sleep(0.001)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        with running_sim(["serve", *ALL_FREE], ready, stale="stale") as (_process, urls):
            assert fetch(f"{urls['products']}/products")[0] == 200
    finally:
        stop.set()
        poller.join()
    assert other_name.read_text() == "stale"  # the old file was replaced, not rewritten
    assert stat.S_IMODE(ready.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    reads = set(seen)
    assert "stale" in reads and len(reads) == 2  # the old text, then the new one, whole
    assert set(json.loads((reads - {"stale"}).pop())["urls"]) >= {"bff", "admin"}


def test_sigterm_stops_it_too(tmp_path: Path) -> None:
    with running_sim(["serve", *ALL_FREE], tmp_path / "ready.json") as (process, _urls):
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=10)
        assert process.returncode == 0 and "stopped (SIGTERM)" in out


def test_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_sim("serve", *ALL_FREE, "--inventory-port", port)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"inventory: cannot listen on 127.0.0.1:{port} (address already in use)" in \
        result.stderr
    assert "Traceback" not in result.stderr


def test_bad_fault_file_names_file_and_field(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[[phases]]\nname = "a"\nduration = "1s"\n'
                    'faults.inventory = [{ type = "latency", delay = "-20ms" }]\n')
    result = run_sim("serve", *ALL_FREE, "--faults", str(plan))
    assert result.returncode == 2
    assert f"{plan}: phases[0].faults.inventory[0].delay: expected a non-negative duration" in \
        result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["fault", "cart", "--error-rate", "1.5"], "--error-rate: must be a probability in [0, 1]"),
    (["fault", "cart", "--latency", "-1s"], "--latency: expected a non-negative duration"),
    (["fault", "teapot", "--down"], "SERVICE: unknown service 'teapot'; allowed: products"),
    (["fault", "cart"], "give at least one fault option, or --clear"),
    (["serve", "--only", "teapot"], "--only: unknown service 'teapot'"),
    (["serve", "--products", "0"], "--products: must be in [1, 100000]"),
    (["fault", "cart", "--down", "--admin", "http://127.0.0.1:9"], "cannot reach the admin API"),
    (["serve", "--set", "inventory.retry.max_attmpts=2"],
     "--set inventory.retry.max_attmpts: unknown setting; allowed: max_attempts, backoff"),
    (["serve", "--set", "inventory.breaker.failure_rate_threshold=1.5"],
     "--set inventory.breaker.failure_rate_threshold: expected a rate in (0, 1]"),
    (["serve", "--policy", "yolo"], "policy: unknown preset 'yolo'; allowed: naive, book"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = run_sim(*args)
    assert result.returncode == 2, result
    assert message in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr
