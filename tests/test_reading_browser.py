"""In Debian Chromium: the printable-reading downloads deliver a one-page PDF and a PNG.

A small Streamlit script (written to tmp_path) ranks the bundled AF example, given patient fields,
with the tiny weights and calls `show_reading_downloads`, as the Zero-shot page does. The browser
downloads both files; the PDF is read back with poppler: the candidates are in it and the patient
name only after the "include the patient identifiers" box is ticked. Server helpers and the
screenshot folder are those of test_browser.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 (screenshot_dir is a fixture used by name)
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    UI_TIMEOUT_MS,
    _wait_idle,
    screenshot_dir,
    serve_app,
)

from mets_core.app.reading_download import PATIENT_WARNING

CANDIDATES = ("atrial fibrillation", "sinus rhythm")
PATIENT_NAME = "DOE, JOHN"
SCRIPT = f'''
import os
from dataclasses import replace

import streamlit as st

import mets_core
from mets_core.app.reading_download import show_reading_downloads
from mets_core.io.examples import load_example

record = replace(load_example("ptbxl_afib"), patient_fields={{"name": "{PATIENT_NAME}"}})
model = mets_core.load_model(os.environ["METS_WEIGHTS"], device="cpu")
ranking = mets_core.rank(model, record, {list(CANDIDATES)!r})
st.title("Reading test")
show_reading_downloads(record, ranking, "Example: atrial fibrillation")
'''

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not at /usr/bin/chromium"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed"),
]


@pytest.fixture(scope="module")
def reading_url(tiny_weights: Path, tmp_path_factory: pytest.TempPathFactory):
    script = tmp_path_factory.mktemp("reading_app") / "reading_app.py"
    script.write_text(SCRIPT, encoding="utf-8")
    with serve_app(tiny_weights, "--server.fileWatcherType", "none", script=script) as url:
        yield url


def _download(page, label: str, folder: Path) -> Path:  # noqa: ANN001 (a Playwright Page)
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def test_the_downloads_are_the_reading(reading_url, screenshot_dir, tmp_path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        page.goto(reading_url)
        expect(page.get_by_text("Printable reading", exact=True)).to_be_visible()
        _wait_idle(page)
        page.get_by_text("Prepare the printable reading (PDF and PNG)").click()
        expect(page.get_by_role("button", name="Download the reading (PDF)")).to_be_visible()
        _wait_idle(page)
        page.screenshot(path=screenshot_dir / "reading_downloads.png", full_page=True)

        pdf = _download(page, "Download the reading (PDF)", tmp_path)
        png = _download(page, "Download the reading (PNG)", tmp_path)
        assert (pdf.name, png.name) == ("mets_reading.pdf", "mets_reading.png")
        assert pdf.read_bytes().startswith(b"%PDF") and png.read_bytes().startswith(b"\x89PNG")
        text = _text(pdf)
        assert all(candidate in text for candidate in CANDIDATES)
        assert PATIENT_NAME not in text and "not a diagnosis" in text

        page.get_by_text("Include the patient identifiers from the file").click()
        expect(page.get_by_text(PATIENT_WARNING)).to_be_visible()  # the rerun has finished
        _wait_idle(page)
        page.screenshot(path=screenshot_dir / "reading_downloads_patient.png", full_page=True)
        (tmp_path / "patient").mkdir()
        with_patient = _download(page, "Download the reading (PDF)", tmp_path / "patient")
        assert PATIENT_NAME in _text(with_patient)
        browser.close()
