"""`sim ui`'s control endpoint, ready file and transitions tab: only locust's server side
swaps the simulator, a script polling for the ready file never reads half of it, and the
tab pages through the admin API's /events."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bff.events import BreakerTransition
from scenarios.run import FREE
from scenarios.ui import Catalogue, Session, control_app
from scenarios.web_tab import Admin
from sim.admin_guard import own_origins
from sim.host import SimHost
from sim.listener import Listener
from tests.cli_helpers import SIM
from tests.ui.test_web_ui import free_port

CHOICE = {"scenario": "inventory-outage", "policy": "book"}


@pytest.fixture
async def control() -> AsyncIterator[tuple[Session, str]]:
    session = Session(Catalogue("inventory-outage", None), dict(FREE), lambda _text: None)
    listener = Listener("ui-control", control_app(
        session, lambda: own_origins(listener.url, listener.port)), "127.0.0.1", 0)
    await listener.start()
    try:
        yield session, f"{listener.url}/select"
    finally:
        await listener.stop()
        await session.close()


async def test_a_web_page_cannot_swap_the_simulator(control: tuple[Session, str]) -> None:
    session, select = control
    async with aiohttp.ClientSession() as client:
        # A page elsewhere, through the user's browser: the browser sends its Origin.
        async with client.post(select, json=CHOICE,
                               headers={"Origin": "http://evil.example"}) as answer:
            assert answer.status == 403
            assert (await answer.json())["field"] == "Origin"
        # A form post needs no CORS preflight, so it can only be text/plain or a form.
        async with client.post(select, data=json.dumps(CHOICE),
                               headers={"Content-Type": "text/plain"}) as answer:
            assert answer.status == 415
        assert session.host is None  # nothing was started or replaced

        # locust's server side (no Origin, JSON) still switches it.
        async with client.post(select, json=CHOICE) as answer:
            assert answer.status == 200
            assert (await answer.json())["ui"] == session.ui
        assert session.host is not None and session.choice == ("inventory-outage", "book")


@pytest.mark.parametrize(("content_type", "body", "status", "error"), [
    # JSON is UTF-8 whatever the header says (RFC 8259): a charset it does not know was
    # aiohttp's LookupError, a plain-text 500, and the form's Start said nothing useful.
    ("application/json; charset=bogus", b'{"scenario": "nope", "policy": "book"}', 400,
     "sim_scenario: unknown scenario 'nope'"),
    ("application/json; charset=bogus", b'{"scenario": "\xff"}', 400,
     'body: not UTF-8 (byte 0xff at offset 14); JSON is UTF-8, whatever charset the '
     'Content-Type names; expected {"scenario": NAME, "policy": NAME}'),
    ("application/json; charset=utf-16", '{"scenario": 1}'.encode("utf-16"), 400,
     "body: not UTF-8 (byte 0xff at offset 0); JSON is UTF-8, whatever charset the "
     'Content-Type names; expected {"scenario": NAME, "policy": NAME}'),
    ("application/json", b"[1, 2", 400,
     'body: not valid JSON (in UTF-8); expected {"scenario": NAME, "policy": NAME}'),
    ("application/json", b'["inventory-outage", "book"]', 400,
     "body: expected {\"scenario\": NAME, \"policy\": NAME}, got ['inventory-outage', "
     "'book']"),
])
async def test_a_bad_select_body_is_a_json_400_naming_it(
        control: tuple[Session, str], content_type: str, body: bytes, status: int,
        error: str) -> None:
    session, select = control
    async with aiohttp.ClientSession() as client, client.post(
            select, data=body, headers={"Content-Type": content_type}) as answer:
        assert answer.status == status, await answer.text()
        assert answer.content_type == "application/json"
        assert (await answer.json())["error"].startswith(error)
    assert session.host is None


async def test_a_bogus_charset_still_selects(control: tuple[Session, str]) -> None:
    session, select = control
    async with aiohttp.ClientSession() as client, client.post(
            select, data=json.dumps(CHOICE).encode(),
            headers={"Content-Type": "application/json; charset=bogus"}) as answer:
        assert answer.status == 200, await answer.text()
    assert session.choice == ("inventory-outage", "book")


def test_the_ready_file_is_replaced_whole(tmp_path: Path) -> None:
    """Written to a temp name and renamed: a file already at the path (here with a second
    name, a hard link) is swapped, never truncated and rewritten in place, so a poller sees
    either the old file or the whole new one."""
    ready, other_name = tmp_path / "ready.json", tmp_path / "previous.json"
    ready.write_text("stale")
    os.link(ready, other_name)
    args = [SIM, "ui", "--scenario", "inventory-outage", "--free-ports", "--web-port",
            str(free_port()), "--ready-file", str(ready)]
    with subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True) as process:
        try:
            deadline = time.monotonic() + 40
            while ready.read_text() == "stale":
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            assert set(json.loads(ready.read_text())["urls"]) >= {"web", "admin", "bff"}
            assert other_name.read_text() == "stale"
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=20)


async def test_the_transitions_tab_reads_past_one_events_answer(sim_host: SimHost) -> None:
    """5,000 transitions with long reasons are more than one /events answer (1 MiB): the
    tab's newest rows are the simulator's newest transitions, not the first answer's."""
    for index in range(5_000):
        sim_host.ledger.emit(BreakerTransition(
            t=index / 100, breaker="inventory", from_state="closed", to_state="open",
            reason=f"transition {index}: " + "failure rate above the threshold " * 3,
            failure_rate=0.5, slow_rate=None, open_duration=30.0))
    admin = Admin(sim_host.urls["admin"])
    _, first = await asyncio.to_thread(
        admin.call, "GET", "/events?since=0&limit=10000&kind=breaker_transition")
    assert first["truncated"]["by"] == "bytes"  # the case this test is about

    tabs = await asyncio.to_thread(admin.resilience)
    newest = [row["reason"].split(":")[0] for row in tabs[1]["data"]]
    assert newest[:3] == ["transition 4999", "transition 4998", "transition 4997"]
    transitions = [e for e in await asyncio.to_thread(admin.tab_events)
                   if e["kind"] == "breaker_transition"]
    assert len(transitions) == 5_000
