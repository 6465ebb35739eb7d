"""A clinician's path in Debian Chromium (issue 15 items 1, 5, 6, 10, 14, 15; issue 12 part 8).

Rank a bundled example and see its reference label beside the ranking; leave the page and find
the typed candidates still there; upload a file named after its patient and see only a neutral
label; upload random bytes and an over-the-limit file and get messages in words, no traceback,
no Deploy button. The server and helpers are those of test_browser.py (tiny weights).
Screenshots go to METS_SCREENSHOT_DIR (default artifacts/screenshots/).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 (app_url and screenshot_dir are fixtures used by name)
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    UI_TIMEOUT_MS,
    _go_to,
    _load_example,
    _rank,
    _wait_idle,
    app_url,
    screenshot_dir,
    serve_app,
)

MUSE = REPO.parent / "shared" / "data" / "formats" / "ge-muse-xml" / "egm_muse-sinus.xml"
PHI_NAME = "DOE_JOHN_MRN081486213.xml"
AF_EXAMPLE = "Atrial fibrillation (PTB-XL 318, 500 Hz)"
CANDIDATES = ("atrial fibrillation", "normal ECG")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not at /usr/bin/chromium"),
    pytest.mark.skipif(not MUSE.is_file(), reason=f"format sample absent: {MUSE}"),
]


def _open(browser, url: str):  # noqa: ANN001, ANN202 (Playwright Browser and Page)
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    page.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    page.goto(url)  # the first view after a start can be blank: wait for the navigation
    expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible()
    _wait_idle(page)
    return page


def _shown(page) -> str:  # noqa: ANN001
    return page.locator("body").inner_text()


def _wait_uploader_emptied(page) -> None:  # noqa: ANN001
    """Wait until the upload is read and the uploader redrawn empty (it names no file)."""
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(1)
    expect(page.locator('[data-testid="stFileChip"]')).to_have_count(0)
    _wait_idle(page)


def _assert_no_developer_things(page) -> None:  # noqa: ANN001
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    assert page.get_by_role("button", name="Deploy").count() == 0
    text = _shown(page)
    assert "Traceback" not in text and 'File "' not in text


def test_clinician_ranks_an_example_leaves_and_uploads(
    app_url: str,  # noqa: F811
    screenshot_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = _open(browser, app_url)
        _assert_no_developer_things(page)

        _load_example(page, AF_EXAMPLE)
        _rank(page, CANDIDATES)
        expect(page.get_by_text("Reference label (from the dataset):")).to_be_visible()
        verdict = page.get_by_text("The model's top answer", exact=False).first
        expect(verdict).to_be_visible()
        assert "named in the reference label" in verdict.inner_text() or (
            "differs from the reference label" in verdict.inner_text()
        )
        assert "Model input:" not in _shown(page)
        expect(page.get_by_text("How the file was read", exact=False)).to_have_count(1)
        page.screenshot(path=screenshot_dir / "clinician_zero_shot_reference.png", full_page=True)

        _go_to(page, "Load ECG", "Load an ECG")  # leave and come back: the list is still there
        _go_to(page, "Zero Shot", "Rank candidate diagnoses")
        expect(page.get_by_label("Candidate diagnoses, one per line")).to_have_value(
            "\n".join(CANDIDATES)
        )
        expect(page.get_by_text("Top-ranked:")).to_be_visible()

        named = tmp_path / PHI_NAME
        named.write_bytes(MUSE.read_bytes())
        _go_to(page, "Load ECG", "Load an ECG")
        page.get_by_role("tab", name="Upload a file").click()
        page.locator('input[type="file"]').set_input_files([str(named)])
        expect(page.get_by_text("Signal quality per lead")).to_be_visible()
        _wait_uploader_emptied(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar).to_contain_text("Upload 1, GE MUSE XML")
        assert "486213" not in _shown(page) and "DOE_JOH" not in _shown(page)
        expect(page.get_by_text("Derived III, aVR, aVL, aVF", exact=False)).to_be_visible()

        named.write_bytes(os.urandom(20_000))  # random bytes under the same name
        page.locator('input[type="file"]').set_input_files([str(named)])
        expect(page.get_by_text("This file is not an ECG format METS can read")).to_be_visible()
        _wait_uploader_emptied(page)
        expect(sidebar).to_contain_text("No ECG loaded yet")
        expect(sidebar).not_to_contain_text("GE MUSE XML")
        expect(sidebar).not_to_contain_text("leads ·")  # none of the last record's facts
        assert "486213" not in _shown(page) and "DOE_JOH" not in _shown(page)
        _assert_no_developer_things(page)
        page.screenshot(path=screenshot_dir / "clinician_load_bad_upload.png", full_page=True)
        browser.close()


@pytest.fixture(scope="module")
def small_upload_url(tiny_weights: Path) -> Iterator[str]:
    """The app with a 1 MB upload limit, so an over-the-limit file is small enough to test."""
    with serve_app(tiny_weights, "--server.maxUploadSize", "1") as url:
        yield url


def test_an_upload_over_the_limit_is_refused_in_words(
    small_upload_url: str,
    screenshot_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    big = tmp_path / "big_export.xml"
    big.write_bytes(os.urandom(2 * 2**20))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = _open(browser, small_upload_url)
        _go_to(page, "Load ECG", "Load an ECG")
        page.get_by_role("tab", name="Upload a file").click()
        page.locator('input[type="file"]').set_input_files([str(big)])
        message = page.get_by_text("File must be 1.0MB or smaller", exact=False)
        expect(message).to_be_visible()
        box = message.bounding_box()
        assert box is not None and box["width"] > 150 and box["height"] > 10  # shown, not sr-only
        expect(page.get_by_test_id("stFileChipName")).to_be_hidden()  # its name may name a patient
        _assert_no_developer_things(page)
        page.screenshot(path=screenshot_dir / "clinician_load_too_big.png", full_page=True)
        browser.close()
