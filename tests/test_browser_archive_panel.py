"""In Chromium with the shipped weights: rank a fold-10 example, find it first among the similar
ECGs of the searchable archive on the Zero-shot page, open another hit in the signal view.

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
    _load_example,
    _rank,
    _wait_idle,
    screenshot_dir,  # noqa: F401 (a fixture, used by name)
    serve_app,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not at /usr/bin/chromium"),
    pytest.mark.skipif(not (PTBXL / "ptbxl_database.csv").exists(), reason="no PTB-XL folder"),
]
EXAMPLE = "Anterior (anteroseptal) MI (PTB-XL 526, 100 Hz)"  # a fold-10 record, in the index
PANEL = "Similar ECGs in the searchable archive"


@pytest.fixture(scope="module")
def shipped_app_url() -> Iterator[str]:
    with serve_app(REPO / "weights" / "mets_resnet18") as url:
        yield url


def test_archive_panel_shows_the_ecg_itself_first_and_opens_a_hit(
    shipped_app_url: str,
    screenshot_dir: Path,  # noqa: F811 (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(shipped_app_url)
        # the first view after a server start waits for torch and the shipped weights to load
        page.get_by_role("heading", name="METS: zero-shot ECG reading").wait_for(timeout=180_000)
        _load_example(page, EXAMPLE)
        _rank(page, ("normal ECG", "anterior myocardial infarction", "left bundle branch block"))

        heading = page.get_by_role("heading", name=PANEL)
        heading.scroll_into_view_if_needed()
        expect(
            page.get_by_role("heading", name="Most similar training reference ECGs")
        ).to_be_visible()
        panel_buttons = page.locator('[class*="st-key-w-archive_open_"] button')
        expect(panel_buttons).to_have_count(5)
        cards = page.get_by_text(" · cosine ")
        first = cards.filter(has_text="#1 ·").last.inner_text()  # the archive's, below the bank
        assert "ecg_id 526 " in first and float(first.split("cosine ")[1].split()[0]) > 0.99
        second = cards.filter(has_text="#2 ·").last.inner_text()
        second_id = second.split("ecg_id ")[1].split()[0]
        page.locator('[class*="st-key-w-archive_open_1"]').scroll_into_view_if_needed()
        page.wait_for_timeout(1000)  # the thumbnails are drawn after the cards appear
        page.screenshot(path=str(screenshot_dir / "zero_shot_archive_panel.png"), full_page=False)

        page.locator('[class*="st-key-w-archive_open_2"] button').click()
        expect(page.get_by_role("heading", name="Signal view", exact=True)).to_be_visible()
        _wait_idle(page)
        expect(page.get_by_text(f"ecg_id {second_id}").first).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "archive_hit_opened.png"), full_page=False)
        browser.close()
