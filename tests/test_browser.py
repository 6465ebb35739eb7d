"""End to end in Debian Chromium: `streamlit run`, upload a real WFDB pair, rank two candidates.

Screenshots of every page go to METS_SCREENSHOT_DIR (default artifacts/screenshots/, gitignored).
Skipped when /usr/bin/chromium is absent (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mets_core.io.examples import EXAMPLES_DIR

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PTBXL = REPO.parent / "shared" / "data" / "ptb-xl"  # optional: the explore page runs on it
RECORD = "00180_hr"  # PTB-XL ecg_id 180, complete LBBB, 500 Hz (bundled, byte-identical copy)
CANDIDATES = ("left bundle branch block", "normal ECG")
START_TIMEOUT_S = 60
UI_TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not at /usr/bin/chromium"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{server.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {START_TIMEOUT_S} s")


@contextmanager
def serve_app(weights: Path, *options: str, script: Path | str = "app.py") -> Iterator[str]:
    """`streamlit run <script>` (default the app) on a free port with `weights` and extra
    `--server.*` options (e.g. "--server.maxUploadSize", "1"); yields its URL, stops it after."""
    port = _free_port()
    env = {**os.environ, "METS_WEIGHTS": str(weights), "METS_DEVICE": "cpu"}
    if PTBXL.is_dir():
        env["METS_PTBXL_ROOTS"] = f"PTB-XL={PTBXL}"  # the Explore page's one configured root
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        *options,
    ]  # address 127.0.0.1, no file watcher, viewer toolbar: from .streamlit/config.toml
    server = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a busy machine: do not leave the server behind
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def app_url(tiny_weights: Path) -> Iterator[str]:
    with serve_app(tiny_weights) as url:
        yield url


@pytest.fixture(scope="module")
def screenshot_dir() -> Path:
    folder = Path(os.environ.get("METS_SCREENSHOT_DIR", REPO / "artifacts" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _go_to(page, label: str, title: str) -> None:  # noqa: ANN001 (a Playwright Page)
    from playwright.sync_api import expect

    # Sidebar navigation keeps the Streamlit session (and its record); page.goto would not.
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    _wait_idle(page)


def _wait_idle(page) -> None:  # noqa: ANN001
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=UI_TIMEOUT_MS)


def test_upload_wfdb_pair_and_rank_two_candidates(app_url: str, screenshot_dir: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)  # the first load can be slow (model loading)
        page.goto(app_url)
        expect(page.get_by_text("METS: zero-shot ECG reading")).to_be_visible()
        expect(page.get_by_text("RANDOMLY INITIALISED", exact=False)).to_be_visible()
        _wait_idle(page)
        page.screenshot(path=screenshot_dir / "0_home.png", full_page=True)

        _go_to(page, "Load ECG", "Load an ECG")
        page.get_by_role("tab", name="Upload a file").click()
        files = [EXAMPLES_DIR / f"{RECORD}.hea", EXAMPLES_DIR / f"{RECORD}.dat"]
        page.locator('input[type="file"]').set_input_files([str(f) for f in files])
        expect(page.get_by_text("Signal quality per lead")).to_be_visible()
        _wait_idle(page)
        expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("12")
        page.screenshot(path=screenshot_dir / "1_load_ecg.png", full_page=True)

        _go_to(page, "Signal View", "Signal view")
        expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
        _wait_idle(page)
        page.screenshot(path=screenshot_dir / "3_signal_view.png", full_page=True)

        _rank(page, CANDIDATES)
        prompts = page.get_by_text("Exact prompts sent to the text model")
        prompts.click()
        table = page.locator('[data-testid="stTable"]').last
        for candidate in CANDIDATES:
            expect(table).to_contain_text(candidate)
        page.get_by_role("button", name="Compute lead and time importance").click()
        expect(page.get_by_text("Score change when each lead is masked")).to_be_visible()
        _wait_idle(page)
        page.screenshot(path=screenshot_dir / "2_zero_shot.png", full_page=True)

        _go_to(page, "Explore Dataset", "Explore a dataset and its failures")
        if PTBXL.is_dir():
            count = page.get_by_label("At most this many test records (fold 10)")
            count.fill("8")
            count.press("Enter")
            _wait_idle(page)
            page.get_by_role("button", name="Run zero-shot").click()
            expect(page.get_by_text("Macro AUROC")).to_be_visible()
            expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
            _wait_idle(page)
        page.screenshot(path=screenshot_dir / "4_explore_dataset.png", full_page=True)

        _go_to(page, "Model Card", "Model card")
        expect(page.get_by_text("Known limits")).to_be_visible()
        page.screenshot(path=screenshot_dir / "5_model_card.png", full_page=True)
        browser.close()
    assert len(list(screenshot_dir.glob("*.png"))) >= 6


FORMATS = REPO.parent / "shared" / "data" / "formats"
VENDOR_UPLOADS = (  # (sample, text the Load page must show)
    ("scp-ecg/ecgtoolkit_Example.scp", "Upload 1, SCP-ECG"),  # neutral label, never the name
    ("ge-muse-xml/egm_muse-sinus.xml", "Show patient identifiers from the file"),
    ("scp-ecg/healforce_62.SCP", "cannot be read as SCP-ECG"),
)


@pytest.mark.skipif(not FORMATS.is_dir(), reason=f"format samples absent: {FORMATS}")
def test_vendor_files_upload_or_are_refused_in_plain_words(
    app_url: str, screenshot_dir: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for number, (relative, expected) in enumerate(VENDOR_UPLOADS):
            page = browser.new_page(viewport={"width": 1400, "height": 2400})  # a fresh session
            page.set_default_timeout(UI_TIMEOUT_MS)
            expect.set_options(timeout=UI_TIMEOUT_MS)
            page.goto(app_url)
            expect(page.get_by_text("METS: zero-shot ECG reading")).to_be_visible()
            _go_to(page, "Load ECG", "Load an ECG")
            page.get_by_role("tab", name="Upload a file").click()
            page.locator('input[type="file"]').set_input_files([str(FORMATS / relative)])
            expect(page.get_by_text(expected, exact=False).first).to_be_visible()
            _wait_idle(page)
            assert "Traceback" not in page.content()
            assert "DOE" not in page.locator("main").inner_text()  # the MUSE name stays hidden
            page.screenshot(path=screenshot_dir / f"6_upload_{number}.png", full_page=True)
            page.close()
        browser.close()


def _load_example(page, title: str) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    _go_to(page, "Load ECG", "Load an ECG")
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=title).click()
    _wait_idle(page)
    page.get_by_role("button", name="Load this example").click()
    expect(page.get_by_role("heading", name=f"Example: {title}")).to_be_visible()
    _wait_idle(page)


def _rank(page, candidates, shown: str = "Top-ranked:") -> None:  # noqa: ANN001
    """Type `candidates` on the Zero-shot page, press Rank, wait until `shown` is on the page."""
    from playwright.sync_api import expect

    _go_to(page, "Zero Shot", "Rank candidate diagnoses")
    box = page.get_by_label("Candidate diagnoses, one per line")
    box.fill("\n".join(candidates))
    box.press("Control+Enter")
    _wait_idle(page)
    page.get_by_role("button", name="Rank", exact=True).click()
    expect(page.get_by_text(shown).first).to_be_visible()
    _wait_idle(page)


def _download_json(page) -> dict:  # noqa: ANN001
    import json

    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    return json.loads(Path(download.value.path()).read_text(encoding="utf-8"))


OTHER_PAGES = (  # (sidebar label, page heading)
    ("Explore Dataset", "Explore a dataset and its failures"),
    ("Model Card", "Model card"),
    ("Sanity Check", "Sanity check: does the ranking depend on this ECG?"),
)


def test_no_request_leaves_the_machine_and_users_get_no_developer_menu(app_url: str) -> None:
    from urllib.parse import urlparse

    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--disable-quic"]
        )
        context = browser.new_context(viewport={"width": 1400, "height": 2000})
        urls: list[str] = []
        context.on("request", lambda request: urls.append(request.url))
        context.on("websocket", lambda socket: urls.append(socket.url))
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        page.goto(app_url)
        expect(page.get_by_text("METS: zero-shot ECG reading")).to_be_visible()
        _wait_idle(page)
        _load_example(page, "Left bundle branch block (PTB-XL 180, 500 Hz)")
        _go_to(page, "Signal View", "Signal view")
        expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
        _rank(page, ["left bundle branch block", "normal ECG"])
        for label, title in OTHER_PAGES:
            _go_to(page, label, title)
        page.wait_for_timeout(1500)  # late requests (fonts, favicon) after the last page
        hosts = {urlparse(url).hostname for url in urls if not url.startswith(("data:", "blob:"))}
        assert hosts == {"127.0.0.1"}, sorted(u for u in urls if "127.0.0.1" not in u)[:10]
        icon = page.evaluate("document.querySelector(\"link[rel='shortcut icon']\").href")
        assert icon.startswith("data:image/svg"), icon[:80]  # inline, not fonts.gstatic.com

        # toolbarMode "viewer": the main menu has no developer items, the "c" shortcut does nothing
        page.keyboard.press("c")
        page.wait_for_timeout(500)
        assert page.get_by_text("Clear caches").count() == 0
        menu = page.locator('[data-testid="stMainMenu"]')
        if menu.count():
            menu.click()
            page.wait_for_timeout(300)
        text = page.locator("body").inner_text().lower()
        assert "clear cache" not in text and "developer options" not in text
        browser.close()


def test_two_sessions_never_see_each_others_record_or_ranking(app_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    sessions = (  # (example title, candidates): each session's own record and candidates
        ("Normal ECG (PTB-XL 417, 500 Hz)", ["sinus rhythm", "normal ECG"]),
        ("Atrial fibrillation (PTB-XL 318, 500 Hz)", ["atrial fibrillation", "flutter"]),
    )
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pages = []
        for _ in sessions:
            page = browser.new_context(viewport={"width": 1400, "height": 2000}).new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(app_url)
            expect(page.get_by_text("METS: zero-shot ECG reading")).to_be_visible()
            _wait_idle(page)
            pages.append(page)
        for page, (title, _) in zip(pages, sessions, strict=True):  # interleaved on purpose
            _load_example(page, title)
        for page, (_, candidates) in zip(pages, sessions, strict=True):
            _rank(page, candidates)
        for number, (page, (title, candidates)) in enumerate(zip(pages, sessions, strict=True)):
            other_title, other_candidates = sessions[1 - number]
            sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
            assert title in sidebar and other_title not in sidebar
            table = page.locator('[data-testid="stDataFrame"]').first.inner_text()
            payload = _download_json(page)
            assert {row["candidate"] for row in payload["ranking"]} == set(candidates)
            assert not {row["candidate"] for row in payload["ranking"]} & set(other_candidates)
            assert other_candidates[0] not in table
        browser.close()
