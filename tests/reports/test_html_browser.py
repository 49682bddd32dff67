"""The HTML report in a real headless Chromium: it loads without errors and shows its
charts. Skipped, with the reason, where Debian's chromium is not installed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reports.html import render_html

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed "
                                       "(apt-get install chromium; .ci/run does)")


def test_report_opens_in_chromium_with_its_charts(tmp_path: Path, report_file: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(json.loads(report_file.read_text())))
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.append(message.text)
                    if message.type == "error" else None)
            page.goto(page_file.as_uri())
            charts = page.locator("svg.chart")
            # latency, req/s, outcomes, activity, retries, calls per service
            assert charts.count() == 6
            box = charts.first.bounding_box()
            assert box is not None
            assert box["width"] > 500
            assert box["height"] > 150
            assert page.locator("svg.chart polyline").count() >= 3  # p50, p95, p99
            assert "breaker_time_to_open[inventory@outage]" in page.inner_text("body")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report-html.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
