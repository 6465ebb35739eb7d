"""In Debian Chromium: Home, a teaching case before and after commit, Explore clicks, Model card.

The server runs the shipped weights when present (the screenshots show real numbers and the
training-history plot), else the tiny test checkpoint. Screenshots go to METS_SCREENSHOT_DIR
(default artifacts/screenshots/); the teaching "after" view is also written to
docs/images/teaching.png for the README when METS_README_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 (screenshot_dir is a fixture used by name)
    CHROMIUM,
    CHROMIUM_ARGS,
    PTBXL,
    REPO,
    UI_TIMEOUT_MS,
    _go_to,
    _wait_idle,
    screenshot_dir,
    serve_app,
)

SHIPPED = REPO / "weights" / "mets_resnet18.safetensors"
MITBIH = REPO.parent / "shared" / "data" / "mit-bih"
README_IMAGE = REPO / "docs" / "images" / "teaching.png"
HOME_TITLE = "METS: zero-shot ECG reading"
TEACH_TITLE = "Teaching: read the ECG first, then compare"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def served_url(tiny_weights: Path) -> Iterator[str]:
    weights = SHIPPED.with_suffix("") if SHIPPED.is_file() else tiny_weights
    with serve_app(weights) as url:  # the one server start of the browser tests
        yield url


def _new_page(playwright, height: int = 1800):  # noqa: ANN001, ANN202
    from playwright.sync_api import expect

    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    return browser, page


def test_home_teaching_and_model_card(served_url: str, screenshot_dir: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser, page = _new_page(playwright)
        page.goto(served_url)
        # the model loads behind a visible status, then Home renders
        expect(page.get_by_role("heading", name=HOME_TITLE)).to_be_visible()
        _wait_idle(page)
        nav = page.locator('[data-testid="stSidebarNav"]')
        expect(nav.get_by_text("Home", exact=True)).to_be_visible()
        quick = page.get_by_role("heading", name="Quick start").bounding_box()
        model = page.get_by_role("heading", name="Model in use").bounding_box()
        assert quick["y"] < model["y"]  # Quick start first
        assert "train_loss" not in page.locator("main").inner_text()  # no raw history dict
        icon = page.evaluate("document.querySelector(\"link[rel='shortcut icon']\").href")
        assert icon.startswith("data:image/svg"), icon[:80]
        page.screenshot(path=screenshot_dir / "15_home.png", full_page=True)

        _go_to(page, "Teaching", TEACH_TITLE)
        page.get_by_role("button", name="Start").click()
        expect(page.get_by_role("heading", name="Case 1 of 5")).to_be_visible()
        _wait_idle(page)
        expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
        assert "Reference" not in page.locator("main").inner_text()  # nothing revealed yet
        page.screenshot(path=screenshot_dir / "15_teaching_before.png", full_page=True)

        box = page.get_by_label("and/or type your reading")
        box.fill("sinus rhythm, left bundle branch block, banana")
        box.press("Control+Enter")
        _wait_idle(page)
        page.set_viewport_size({"width": 1400, "height": 3200})  # the whole result in view
        page.get_by_role("button", name="Commit my reading").click()
        expect(page.get_by_text("Your reading, as it was read")).to_be_visible()
        _wait_idle(page)
        main = page.locator("main").inner_text()
        assert "ranking" in main and "Reference (" in main and "Named but not in the" in main
        expect(page.get_by_text(re.compile(r"^[01] of 1$")).first).to_be_visible()  # the tally
        page.screenshot(path=screenshot_dir / "15_teaching_after.png", full_page=True)
        if os.environ.get("METS_README_SCREENSHOTS") == "1":  # the case, the answer, the verdict
            top = page.get_by_role("heading", name="Case 1 of 5").bounding_box()
            block = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
            bottom = block["y"] + block["height"]
            clip = {"x": block["x"], "y": top["y"] - 10, "width": block["width"]}
            page.screenshot(path=README_IMAGE, clip={**clip, "height": bottom - top["y"] + 10})

        page.set_viewport_size({"width": 1400, "height": 5200})  # every table in the screenshot
        _go_to(page, "Model Card", "Model card")
        expect(page.get_by_role("heading", name="Headline results (results/)")).to_be_visible()
        _wait_idle(page)
        main = page.locator("main").inner_text()
        assert "Reference bank" in main and "Abstain" in main
        if SHIPPED.is_file():
            # the plot's title: one plot, or one per run (in tabs) for an ensemble
            expect(page.get_by_text("Training history").first).to_be_visible()
        page.screenshot(path=screenshot_dir / "15_model_card.png", full_page=True)
        browser.close()


@pytest.mark.skipif(not PTBXL.is_dir(), reason=f"PTB-XL copy not found at {PTBXL}")
def test_explore_cell_and_row_clicks(served_url: str, screenshot_dir: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser, page = _new_page(playwright, height=2400)
        page.goto(served_url)
        expect(page.get_by_role("heading", name=HOME_TITLE)).to_be_visible()
        _wait_idle(page)
        _go_to(page, "Explore Dataset", "Explore a dataset and its failures")
        count = page.get_by_label("At most this many test records (fold 10)")
        count.fill("12")
        count.press("Enter")
        _wait_idle(page)
        page.get_by_role("button", name="Run zero-shot").click()
        expect(page.get_by_text("Confusion matrix", exact=True)).to_be_visible()
        _wait_idle(page)
        assert "served template" in page.locator("main").inner_text()  # prompts + metric named

        # click the cell with the most records, where plotly draws it (its axes' data->pixel map)
        chart = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first
        expect(chart.locator(".point").first).to_be_attached()
        where = chart.evaluate(
            """(gd) => {
                const cells = gd.data[1], layout = gd._fullLayout;
                const counts = Array.from(cells.customdata, (c) => c[0]);
                const best = counts.indexOf(Math.max(...counts));
                const box = gd.getBoundingClientRect();
                return {
                    x: box.left + layout.xaxis._offset + layout.xaxis.d2p(cells.x[best]),
                    y: box.top + layout.yaxis._offset + layout.yaxis.d2p(cells.y[best]),
                    n: counts[best],
                };
            }"""
        )
        assert where["n"] >= 1
        page.mouse.click(where["x"], where["y"])
        expect(page.get_by_text("clicked in the confusion matrix")).to_be_visible()
        _wait_idle(page)
        page.screenshot(path=screenshot_dir / "15_explore_cell.png", full_page=True)

        # click the first row of the listed records: it opens in the page
        table = page.locator('[data-testid="stDataFrame"]').last
        frame = table.bounding_box()
        page.mouse.click(frame["x"] + 18, frame["y"] + 35 + 17)
        expect(page.get_by_text("clicked in the table")).to_be_visible()
        expect(page.get_by_text("Reference (from the dataset)")).to_be_visible()
        _wait_idle(page)
        page.screenshot(path=screenshot_dir / "15_explore_row.png", full_page=True)

        if MITBIH.is_dir():  # a beat opens in its 5 s window with the annotated beat marked
            page.get_by_text("MIT-BIH", exact=True).first.click()
            _wait_idle(page)
            beats = page.get_by_label("Beats per class", exact=False)
            beats.fill("1")
            beats.press("Enter")
            _wait_idle(page)
            page.get_by_role("button", name="Run zero-shot").click()
            expect(page.get_by_text("Confusion matrix", exact=True)).to_be_visible()
            _wait_idle(page)
            page.get_by_text("Only misclassified records/beats").click()  # every beat
            _wait_idle(page)
            frame = page.locator('[data-testid="stDataFrame"]').last.bounding_box()
            page.mouse.click(frame["x"] + 18, frame["y"] + 35 + 17)
            expect(page.get_by_text("annotated beat:")).to_be_visible()
            _wait_idle(page)
            page.screenshot(path=screenshot_dir / "15_explore_mitbih_beat.png", full_page=True)
        browser.close()
