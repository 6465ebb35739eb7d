"""In Debian Chromium: a flat line uploaded as CSV gets the abstain banner above its ranking; a real
bundled ECG gets none. The server and helpers are those of test_browser.py (tiny weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_browser import (  # noqa: F401 (app_url is a fixture used by name)
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    _go_to,
    _rank,
    _wait_idle,
    app_url,
)

from mets_core.leads import STANDARD_12_LEADS

BANNER = "Not read as an ECG"
CANDIDATES = ("normal ECG", "atrial fibrillation")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not at /usr/bin/chromium"),
]


def _flat_csv(folder: Path) -> Path:
    """10 s of 10 uV noise on the 12 standard leads at 500 Hz, with a time column."""
    fs_hz, rng = 500, np.random.default_rng(0)
    time_s = np.arange(10 * fs_hz) / fs_hz
    table = np.column_stack([time_s, 0.01 * rng.standard_normal((time_s.size, 12))])
    path = folder / "flat_line.csv"
    np.savetxt(path, table, delimiter=",", fmt="%.5f", header="time," + ",".join(STANDARD_12_LEADS))
    path.write_text(path.read_text().lstrip("# "))
    return path


def test_flat_line_shows_the_banner_and_a_real_ecg_does_not(
    app_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        page.goto(app_url)
        _wait_idle(page)

        _go_to(page, "Load ECG", "Load an ECG")
        page.get_by_role("tab", name="Upload a file").click()
        page.locator('input[type="file"]').set_input_files([str(_flat_csv(tmp_path))])
        expect(page.get_by_text("Signal quality per lead")).to_be_visible()
        _wait_idle(page)
        _rank(page, CANDIDATES, shown="Controls:")
        expect(page.get_by_text(BANNER, exact=False)).to_be_visible()
        expect(page.get_by_text("Ranking (shown for inspection only)")).to_be_visible()

        _go_to(page, "Load ECG", "Load an ECG")
        page.get_by_role("tab", name="Bundled example").click()
        page.get_by_role("button", name="Load this example").click()
        _wait_idle(page)
        _rank(page, CANDIDATES, shown="Controls:")
        expect(page.get_by_text("Top-ranked:")).to_be_visible()
        expect(page.get_by_text(BANNER, exact=False)).to_have_count(0)
        browser.close()
