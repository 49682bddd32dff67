"""`sim ui` in a real headless Chromium: start inventory-outage from locust's form, watch
the Resilience tab show the inventory breaker open during the outage, and change a fault
from the UI's Faults panel. Skipped, with the reason, where Debian's chromium is missing."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import running_sim

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOC_IMAGE = ROOT / "docs" / "images" / "resilience-tab.png"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed "
                                       "(apt-get install chromium; .ci/run does)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        payload: dict[str, object] = json.loads(answer.read())
    return payload


@pytest.fixture
def sim_ui(tmp_path: Path) -> Iterator[dict[str, str]]:
    # Preselect another scenario, so the test also proves the form's choice is applied.
    args = ["ui", "--scenario", "slow-inventory", "--duration", "30s", "--free-ports",
            "--web-port", str(free_port())]
    with running_sim(args, tmp_path / "ready.json", timeout=40) as (_, urls):
        yield urls


def resilience_rows(page: object) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for row in page.locator("table tbody tr").all():  # type: ignore[attr-defined]
        cells = [cell.strip() for cell in row.inner_text().split("\t")]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.timeout(90)
def test_resilience_tab_and_fault_controls(sim_ui: dict[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 820})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(sim_ui["web"])
            page.get_by_text("Custom parameters").click()
            page.locator("select[name=simScenario]").select_option("inventory-outage")
            page.locator("select[name=simPolicy]").select_option("scenario")
            page.get_by_role("button", name="Start").click()

            page.get_by_role("tab", name="Resilience").click()
            # The breaker opens within about a second of the outage (4 s of hangs after
            # 5 s of warm-up); locust refreshes the tab every 2 s, the phase line every 1 s.
            phase = page.locator("#sim-phase")
            deadline = time.monotonic() + 25
            rows: dict[str, list[str]] = {}
            while time.monotonic() < deadline:
                rows = resilience_rows(page)
                if rows.get("inventory", [""])[0] == "open" and \
                        "outage" in " ".join(phase.all_text_contents()):
                    break
                page.wait_for_timeout(300)
            else:
                pytest.fail(f"inventory breaker not seen open during the outage: {rows}, "
                            f"phase line {phase.all_text_contents()}")
            # The phase is a line of its own above the table, not a row of locust's table.
            expect(phase).to_contain_text(re.compile(
                r"^Phase 2/3: outage, \d+\.\d s left · t\+\d+\.\d s since Start · "
                r"policy resilient$"))  # inventory-outage's own policy
            since_start = float(re.findall(r"t\+(\d+\.\d) s since Start",
                                           phase.inner_text())[0])
            assert phase.evaluate("line => line.closest('table') === null")
            line_box, table_box = phase.bounding_box(), page.locator("table").bounding_box()
            assert line_box and table_box and line_box["y"] + line_box["height"] <= table_box["y"]
            assert "phase" not in rows
            open_cell = page.locator("table tbody td").filter(has_text=re.compile("^open$"))
            expect(open_cell.first).to_have_css("color", "rgb(207, 34, 46)")  # red
            closed_cell = page.locator("table tbody td").filter(has_text=re.compile("^closed$"))
            expect(closed_cell.first).to_have_css("color", "rgb(26, 127, 55)")  # green
            inventory = dict(zip(["breaker", "failure", "slow", "calls", "attempts",
                                  "timeouts", "retries", "blocked", "notpermitted",
                                  "fallbacks"], rows["inventory"], strict=False))
            assert int(inventory["timeouts"]) > 0
            assert int(inventory["attempts"]) > 0
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "resilience-tab.png"))
            if os.environ.get("UPDATE_DOC_IMAGES"):
                shutil.copy(ARTIFACTS / "resilience-tab.png", DOC_IMAGE)

            page.get_by_role("tab", name="Breaker transitions").click()
            expect(phase).to_have_count(0)  # the phase line belongs to the Resilience tab
            opened = page.locator("table tbody tr").filter(has_text="closed -> open").first
            expect(opened).to_be_visible()
            # Seconds since Start, with their unit: after Start and no later than the
            # phase line's own time since Start (the simulator's uptime, counted from
            # before the browser opened, would be later). Usually ~6 s (the outage
            # begins 5 s in); on a starved machine the warm-up can trip it first.
            when = opened.locator("td").first.inner_text().strip()
            assert re.fullmatch(r"t\+\d+\.\d s", when), when
            assert 0.0 < float(when[2:-2]) <= since_start + 1.0, (when, since_start)
            expect(opened.locator("td").filter(has_text="closed -> open")).to_have_css(
                "color", "rgb(207, 34, 46)")  # the state it went to: red
            page.screenshot(path=str(ARTIFACTS / "breaker-transitions.png"))

            # Faults from the UI: a validation error is shown, a good fault applies at once.
            page.locator("#sim-faults-button").click()
            panel = page.frame_locator("#sim-faults-panel")
            panel.locator("select[name=service]").select_option("cart")
            panel.locator("input[name=error_rate]").fill("1.5")
            panel.locator("#apply").click()
            expect(panel.locator("#result")).to_contain_text("must be a probability in [0, 1]")
            expect(panel.locator("input[name=error_rate]")).to_have_class("invalid")
            panel.locator("input[name=error_rate]").fill("")
            panel.locator("input[name=latency]").fill("250ms")
            panel.locator("#apply").click()
            expect(panel.locator("#result")).to_contain_text("cart: faults set")
            faults = get_json(sim_ui["admin"] + "/faults")
            assert faults["cart"] == {"source": "admin", "faults": [
                {"type": "latency", "dist": "fixed", "delay": "250ms"}]}
            expect(panel.locator("tr[data-service=cart]")).to_contain_text("250ms")
            page.screenshot(path=str(ARTIFACTS / "faults-panel.png"))
            panel.locator("#clear").click()
            expect(panel.locator("#result")).to_contain_text("cart: cleared")
            assert get_json(sim_ui["admin"] + "/faults")["cart"] == {"source": "none",
                                                                      "faults": []}
        finally:
            browser.close()
    assert errors == []
