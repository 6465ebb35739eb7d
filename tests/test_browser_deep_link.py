"""In Debian Chromium: a page opened by its URL right after the server starts shows the router's
sidebar (app.py's st.navigation sections), not Streamlit's flat legacy `pages/` list.

Streamlit 1.67 decides once per server process, when the first session starts, that an app whose
entrypoint sits next to a `pages/` folder is a legacy (v1) multipage app, and keeps running pages
that way until some run calls st.navigation. A first visitor who opens /Model_Card therefore got
the flat list "app, Home, Load ECG, Zero Shot, ..." and the page without the router. The server
here is this module's own, so the deep link is its very first request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 (screenshot_dir is a fixture used by name)
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    _wait_idle,
    screenshot_dir,
    serve_app,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not at /usr/bin/chromium"),
]
DEEP_LINKS = (  # (URL path, page heading): the first is the server's first request
    ("Model_Card", "Model card"),
    ("Zero_Shot", "Rank candidate diagnoses"),
)
SECTIONS = ("Read an ECG", "Research")


@pytest.fixture(scope="module")
def fresh_app_url(tiny_weights: Path) -> Iterator[str]:
    with serve_app(tiny_weights) as url:
        yield url


def _assert_router_sidebar(page) -> None:  # noqa: ANN001 (a Playwright Page)
    from playwright.sync_api import expect

    nav = page.locator('[data-testid="stSidebarNav"]')
    for section in SECTIONS:
        expect(nav.get_by_text(section, exact=True)).to_be_visible()
    expect(nav.locator("a", has_text=re.compile(r"^\s*app\s*$"))).to_have_count(0)
    expect(nav.locator("a", has_text="Model Card")).to_have_count(1)


def test_deep_links_show_the_router_sections(
    fresh_app_url: str,
    screenshot_dir: Path,  # noqa: F811 (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for path, heading in DEEP_LINKS:  # a new browser context is a new session
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.set_default_timeout(UI_TIMEOUT_MS)
                expect.set_options(timeout=UI_TIMEOUT_MS)  # the first load waits for the model
                page.goto(f"{fresh_app_url}/{path}")
                expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
                _wait_idle(page)
                page.screenshot(path=screenshot_dir / f"deep_link_{path}.png")
                _assert_router_sidebar(page)
                # the sidebar still navigates from here, in the same session
                page.locator('[data-testid="stSidebarNav"] a', has_text="Home").first.click()
                expect(page.get_by_text("METS: zero-shot ECG reading")).to_be_visible()
                _assert_router_sidebar(page)
        finally:
            browser.close()
