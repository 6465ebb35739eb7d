"""In Chromium with the shipped weights: search the bundled fold-10 index by text, see thumbnails,
open a hit in the signal view, then search by that loaded ECG and find it first.

Screenshots go to METS_SCREENSHOT_DIR (see test_browser.py). Needs the PTB-XL folder for the
thumbnails and for opening hits; skipped where it is absent, as the page itself says.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PTBXL,
    REPO,
    UI_TIMEOUT_MS,
    _go_to,
    _wait_idle,
    screenshot_dir,  # noqa: F401 (a fixture, used by name)
    serve_app,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not at /usr/bin/chromium"),
    pytest.mark.skipif(not (PTBXL / "ptbxl_database.csv").exists(), reason="no PTB-XL folder"),
]


@pytest.fixture(scope="module")
def shipped_app_url() -> Iterator[str]:
    with serve_app(REPO / "weights" / "mets_resnet18") as url:
        yield url


def test_search_by_text_then_by_the_opened_ecg(
    shipped_app_url: str,
    screenshot_dir: Path,  # noqa: F811 (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(shipped_app_url)
        # the first view after a server start waits for torch and the shipped weights to load
        page.get_by_role("heading", name="METS: zero-shot ECG reading").wait_for(timeout=180_000)
        _go_to(page, "Search", "Search ECGs")
        query = page.get_by_label("Finding", exact=True)
        query.fill("complete left bundle branch block")
        query.press("Enter")
        _wait_idle(page)
        cards = page.get_by_role("button", name="Open in the signal view")
        expect(cards.first).to_be_visible()
        assert cards.count() == 10
        # one SVG thumbnail per hit, its alt text naming the lead and the paper scale
        expect(
            page.locator('img[alt^="ECG lead II, first 10 s, 25 mm/s, 10 mm/mV"]')
        ).to_have_count(10)
        second_card = page.get_by_text("#2 · cosine").first.inner_text()
        ecg_id = second_card.split("ecg_id ")[1].split()[0]  # not #1: the two searches differ
        page.screenshot(path=str(screenshot_dir / "search_text.png"), full_page=False)

        cards.nth(1).click()
        expect(page.get_by_role("heading", name="Signal view", exact=True)).to_be_visible()
        _wait_idle(page)
        _go_to(page, "Search", "Search ECGs")
        page.get_by_text("The loaded ECG").click()
        expect(page.get_by_text("query: the loaded ECG's embedding")).to_be_visible()
        _wait_idle(page)
        assert f"ecg_id {ecg_id}" in page.get_by_text("#1 · cosine").first.inner_text()
        page.screenshot(path=str(screenshot_dir / "search_like.png"), full_page=False)
        browser.close()
