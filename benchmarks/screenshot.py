"""A PNG of a page (a run's report.html, say) in Debian's headless Chromium, for the
pictures in README.md and docs/. It only looks: what it shows is the page as written.

Usage: .venv/bin/python benchmarks/screenshot.py PAGE OUT.png [--width 1000]
           [--height 1300] [--until HEADING]
--until: the page from its top down to the heading (an h2) with that text, not cut
mid-chart; without it, one viewport (--width x --height px).
Example, the README's picture of a report (a real 20 s run):
    nice -n 19 .venv/bin/sim run --scenario inventory-outage --duration 20s --out /tmp/o
    .venv/bin/python benchmarks/screenshot.py /tmp/o/report.html docs/images/report.png \
        --until "Calls each service saw"
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def screenshot(page_file: Path, out: Path, width: int, height: int,
               until: str | None) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(page_file.resolve().as_uri())
            page.wait_for_load_state("load")
            out.parent.mkdir(parents=True, exist_ok=True)
            if until is None:
                page.screenshot(path=str(out))
            else:
                heading = page.locator("h2", has_text=until).first.bounding_box()
                if heading is None:
                    sys.exit(f"{page_file}: no heading {until!r}")
                page.screenshot(path=str(out), full_page=True, clip={
                    "x": 0, "y": 0, "width": width, "height": heading["y"] - 8})
        finally:
            browser.close()
    if errors:  # a picture of a broken page is not a picture of the report
        sys.exit(f"{page_file}: the page raised {errors[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=1300)
    parser.add_argument("--until", metavar="HEADING")
    options = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit("Debian's chromium is not installed (apt-get install chromium)")
    if not options.page.is_file():
        sys.exit(f"{options.page}: no such file")
    screenshot(options.page, options.out, options.width, options.height, options.until)
    print(f"{options.out}: {options.width} px wide")


if __name__ == "__main__":
    main()
