"""In Debian Chromium (issue 15 items 2, 3, 4, 7): the signal view as a clinician uses it.

A Philips file's device calibration pulse is shown, labelled and not flagged as clipping; the
bundled normal ECG has its R-peak markers on the QRS complexes; two clicks on the caliper tracing
read the RR interval in ms. The server and helpers are those of test_browser.py (tiny weights).
Screenshots go to the screenshot folder as signal_*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 (app_url and screenshot_dir are fixtures used by name)
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    _go_to,
    _load_example,
    _wait_idle,
    app_url,
    screenshot_dir,
)

from mets_core.io.examples import load_example
from mets_core.signal.measurements import measure_intervals

PHILIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "formats" / "philips-xml"
PHILIPS_FILE = PHILIPS / "129DYPRG.XML"
CALIPER_PLOT = '[class*="st-key-w-caliper_plot"] .js-plotly-plot'

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not at /usr/bin/chromium"),
]

# Page pixel position of the drawn sample of the caliper lead nearest to time `t` (s).
_POINT_JS = """
(t) => {
  const gd = document.querySelector('CALIPER_PLOT');
  const trace = gd._fullData[0];
  let best = 0;
  for (let i = 0; i < trace.x.length; i++) {
    if (Math.abs(trace.x[i] - t) < Math.abs(trace.x[best] - t)) best = i;
  }
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return {
    x: box.left + xa._offset + xa.d2p(trace.x[best]),
    y: box.top + ya._offset + ya.d2p(trace.y[best]),
    t: trace.x[best],
  };
}
""".replace("CALIPER_PLOT", CALIPER_PLOT)


def _new_page(browser):  # noqa: ANN001, ANN202
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    page.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    return page


def _open_signal_view(page) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    _go_to(page, "Signal View", "Signal view")
    expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
    _wait_idle(page)


@pytest.mark.skipif(not PHILIPS_FILE.is_file(), reason=f"{PHILIPS_FILE} not found")
def test_philips_calibration_pulse_is_shown_and_not_called_clipping(
    app_url: str,  # noqa: F811
    screenshot_dir: Path,  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = _new_page(browser)
        page.goto(app_url)
        _wait_idle(page)
        _go_to(page, "Load ECG", "Load an ECG")
        page.get_by_role("tab", name="Upload a file").click()
        page.locator('input[type="file"]').set_input_files([str(PHILIPS_FILE)])
        expect(page.get_by_text("Signal quality per lead")).to_be_visible()
        _wait_idle(page)
        assert "clipped" not in page.locator("section.main, [data-testid='stMain']").inner_text()

        _open_signal_view(page)
        expect(page.get_by_text("device calibration pulse (1.0 mV, 10.70-10.90 s")).to_be_visible()
        paper = page.locator('[class*="st-key-paper_plot"]')
        expect(paper).to_contain_text("device calibration pulse")
        expect(paper).to_contain_text("Filter: diagnostic 0.05-150 Hz")
        page.screenshot(path=screenshot_dir / "signal_philips_pulse.png", full_page=True)
        page.get_by_role("tab", name="Lead quality").click()
        _wait_idle(page)
        expect(page.get_by_text("left out of these checks")).to_be_visible()
        quality = page.get_by_role("tabpanel", name="Lead quality")
        grid = quality.locator('[data-testid="stDataFrame"]')
        expect(grid).to_be_visible()
        text = grid.text_content() or ""
        assert "V6" in text, text  # the grid's cells are readable here
        assert "saturated" not in text and "clipped" not in text, text
        browser.close()


def test_normal_example_markers_and_calipers_read_the_rr(
    app_url: str,  # noqa: F811
    screenshot_dir: Path,  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    peaks = measure_intervals(load_example("ptbxl_normal")).r_peaks_s
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = _new_page(browser)
        page.goto(app_url)
        _wait_idle(page)
        _load_example(page, "Normal ECG (PTB-XL 417, 500 Hz)")
        _open_signal_view(page)
        expect(page.get_by_text(f"the {len(peaks)} beats the measurements use")).to_be_visible()
        page.screenshot(path=screenshot_dir / "signal_normal_r_peaks.png", full_page=True)

        page.get_by_role("tab", name="Calipers").click()
        plot = page.locator(CALIPER_PLOT)
        expect(plot).to_be_visible()
        _wait_idle(page)
        for number, t_s in enumerate(peaks[2:4], start=1):
            where = page.evaluate(_POINT_JS, t_s)
            page.mouse.move(where["x"], where["y"])
            page.wait_for_timeout(200)
            page.mouse.click(where["x"], where["y"])
            expect(page.get_by_text(f"Point {number}:")).to_be_visible()
            _wait_idle(page)
        metric = page.locator('[data-testid="stMetric"]', has_text="Interval")
        expect(metric).to_be_visible()
        shown_ms = float(re.search(r"([\d.]+) ms", metric.inner_text()).group(1))
        expected_ms = (peaks[3] - peaks[2]) * 1000.0
        assert abs(shown_ms - expected_ms) <= 12.0, (shown_ms, expected_ms)  # a pixel: ~5 ms
        rate = page.locator('[data-testid="stMetric"]', has_text="Rate")
        expect(rate).to_contain_text(f"{60000.0 / shown_ms:.0f} bpm")
        plot.scroll_into_view_if_needed()
        expect(plot).to_contain_text("Δt")
        page.screenshot(path=screenshot_dir / "signal_calipers.png", full_page=True)
        browser.close()
