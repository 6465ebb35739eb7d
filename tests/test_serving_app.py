"""Serving the app to a team: config values, operator settings, the upload cap, Explore roots.

The browser-side checks (no request leaves 127.0.0.1, no "Clear caches" for users, two sessions
never see each other's record) are in tests/test_browser.py.
"""

from __future__ import annotations

import ast
import base64
import getpass
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import element_texts
from streamlit.testing.v1 import AppTest

from mets_core.app import keys, session, settings
from mets_core.io.examples import EXAMPLES_DIR

REPO = Path(__file__).resolve().parents[1]
LOAD_PAGE = str(REPO / "pages" / "1_Load_ECG.py")
EXPLORE_PAGE = str(REPO / "pages" / "4_Explore_Dataset.py")
PAIR = [
    (f"00417_hr{ext}", (EXAMPLES_DIR / f"00417_hr{ext}").read_bytes()) for ext in (".hea", ".dat")
]


pytestmark = pytest.mark.usefixtures("tiny_app_env")


# --- .streamlit/config.toml ---


EXPECTED_CONFIG = {
    "server.address": "127.0.0.1",  # loopback only; a proxy in front adds TLS and login
    "server.fileWatcherType": "none",
    "server.runOnSave": False,
    "server.enableXsrfProtection": True,
    "server.enableCORS": True,
    "server.maxUploadSize": 50,
    "server.enableStaticServing": False,
    "browser.gatherUsageStats": False,
    "client.toolbarMode": "viewer",  # no "Clear caches" or developer tools for users
    "client.showErrorDetails": "none",
    "runner.postScriptGC": False,  # a full gc.collect(2) after every rerun costs ~0.33 s CPU here
}


def test_streamlit_reads_the_serving_config() -> None:
    """Ask Streamlit itself (a misspelt key in config.toml would be silently ignored)."""
    code = (
        "import json, sys; from streamlit import config; config.get_config_options();"
        "print(json.dumps({k: config.get_option(k) for k in json.loads(sys.argv[1])}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(EXPECTED_CONFIG))],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == EXPECTED_CONFIG


def test_no_page_asks_for_a_material_favicon() -> None:
    # A ":material/...:" page icon makes the browser fetch it from fonts.gstatic.com.
    from mets_core.app import ui

    assert ui.PAGE_ICON.startswith("<svg")
    for path in [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]:
        assert "page_icon" not in path.read_text(encoding="utf-8"), path.name


def test_only_the_settings_module_reads_the_environment() -> None:
    offenders = []
    files = [
        REPO / "app.py",
        *(REPO / "pages").glob("*.py"),
        *(REPO / "mets_core/app").glob("*.py"),
    ]
    for path in sorted(files):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "secrets"}:
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == [], f"read settings through mets_core.app.settings: {offenders}"


# --- operator settings ---


def test_dataset_roots_are_labelled_and_default_to_the_shared_copy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("METS_PTBXL_ROOTS", f"Ward A={tmp_path / 'a'}; {tmp_path / 'b'} ;Ward A=/x")
    roots = settings.dataset_roots(settings.PTBXL)
    assert [r.label for r in roots] == ["Ward A", "b", "Ward A (2)"]
    assert roots[0].path == tmp_path / "a"
    monkeypatch.setenv("METS_DATA_DIR", str(tmp_path))
    assert settings.dataset_roots(settings.PTBXL)[-1].path == tmp_path
    shared = settings.SHARED_DATA / "mit-bih"
    expected = [settings.DatasetRoot("MIT-BIH", shared)] if shared.is_dir() else []
    assert settings.dataset_roots(settings.MITBIH) == expected


def test_session_upload_limit_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.session_upload_limit_bytes() == 50 * 2**20
    monkeypatch.setenv("METS_SESSION_UPLOAD_MB", "0.5")
    assert settings.session_upload_limit_bytes() == 2**19
    monkeypatch.setenv("METS_SESSION_UPLOAD_MB", "lots")
    assert settings.session_upload_limit_bytes() == 50 * 2**20  # a typo keeps the default


def test_torch_threads_setting_and_the_model_load_applies_it(
    monkeypatch: pytest.MonkeyPatch, tiny_weights: Path
) -> None:
    import torch

    from mets_core.app import model_cache

    assert settings.torch_threads() == 1  # sessions, not threads, are the server's parallelism
    for text, threads in (("3", 3), ("0", 1), ("many", 1)):
        monkeypatch.setenv("METS_TORCH_THREADS", text)
        assert settings.torch_threads() == threads
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("METS_TORCH_THREADS", "1")
        model_cache._load_model_cached.clear()
        model_cache._load_model_cached(str(tiny_weights), "cpu")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
        model_cache._load_model_cached.clear()


# --- the upload cap and release (Load page) ---


def _upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.file_uploader(key=keys.W_UPLOAD).set_value(
        [(name, data, "application/octet-stream") for name, data in files]
    )
    return at.run()


def test_an_upload_over_the_session_cap_is_refused_and_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("METS_SESSION_UPLOAD_MB", "0.01")  # 10 kB; the real pair is 12 kB
    at = _upload(AppTest.from_file(LOAD_PAGE, default_timeout=30).run(), PAIR)
    assert not at.exception, at.exception
    assert "one browser session may hold at most" in element_texts(at.error)
    assert "nothing of it was kept" in element_texts(at.error)
    assert session.KEY_RECORD not in at.session_state
    assert session.KEY_HELD_UPLOAD not in at.session_state


def test_an_upload_is_read_once_then_its_bytes_are_dropped() -> None:
    at = _upload(AppTest.from_file(LOAD_PAGE, default_timeout=30).run(), PAIR)
    assert not at.exception and not at.error, element_texts(at.error)
    assert at.session_state[session.KEY_RECORD].n_leads == 12
    assert session.KEY_HELD_UPLOAD not in at.session_state  # the record is all that stays
    uploaders = list(at.get("file_uploader"))
    assert [w.key for w in uploaders] == [f"{keys.W_UPLOAD}.1"]  # a fresh, empty uploader
    assert not uploaders[0].value


def test_a_failed_upload_is_held_for_a_typed_rate_and_dropped_once_read() -> None:
    rows = "\n".join(f"{i % 7 * 0.1},{i % 5 * 0.1},{i % 3 * 0.1}" for i in range(5000))
    table = f"I,II,III\n{rows}\n".encode()
    at = _upload(AppTest.from_file(LOAD_PAGE, default_timeout=30).run(), [("x.csv", table)])
    assert not at.exception, at.exception
    assert "sampling rate" in element_texts(at.error)
    assert at.session_state[session.KEY_HELD_UPLOAD].size == len(table)  # kept for a typed rate
    at.number_input(key=keys.W_UPLOAD_FS).set_value(500.0).run()
    assert not at.exception and not at.error, element_texts(at.error)
    assert at.session_state[session.KEY_RECORD].fs_hz == 500
    assert session.KEY_HELD_UPLOAD not in at.session_state


def _take_upload_script() -> None:
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    from mets_core.app import session

    ctx = get_script_run_ctx()
    store = ctx.uploaded_file_mgr
    uploads = st.file_uploader("files", accept_multiple_files=True, key=session.upload_widget_key())
    if uploads:
        parked = UploadedFileRec(file_id="parked", name="p.bin", type="x", data=b"0" * 3000)
        store.add_file(ctx.session_id, parked)  # as if sent straight to the upload endpoint
        held = session.take_upload(uploads, int(st.session_state["limit"]))
        left = sum(len(f.data) for f in store.file_storage.get(ctx.session_id, {}).values())
        st.write(f"held {0 if held is None else held.size}; left in Streamlit's store {left}")


@pytest.mark.parametrize(("limit", "held"), [(10_000, 2000), (4_000, 0)])
def test_take_upload_empties_streamlits_store_and_counts_parked_bytes(
    limit: int, held: int
) -> None:
    at = AppTest.from_function(_take_upload_script, default_timeout=30)
    at.session_state["limit"] = limit
    at.run()
    at.file_uploader(key=keys.W_UPLOAD).set_value([("a.bin", b"1" * 2000, "x")]).run()
    assert not at.exception, at.exception
    # 2,000 bytes uploaded + 3,000 parked: within 10 kB kept; over 4 kB refused, nothing kept
    assert [m.value for m in at.markdown] == [f"held {held}; left in Streamlit's store 0"]
    assert at.session_state[session.KEY_UPLOAD_GENERATION] == 1  # the uploader's key moves on


# --- Explore: configured roots only ---


def _explore(monkeypatch: pytest.MonkeyPatch, roots: str) -> AppTest:
    monkeypatch.setenv("METS_PTBXL_ROOTS", roots)
    return AppTest.from_file(EXPLORE_PAGE, default_timeout=60).run()


def test_explore_offers_configured_labels_not_a_path_box(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = _explore(monkeypatch, f"Ward A={tmp_path / 'a'};Ward B={tmp_path / 'b'}")
    assert not at.exception
    assert not at.text_input, "no typed server path anywhere on the page"
    assert at.selectbox(key=keys.W_DATA_DIR).options == ["Ward A", "Ward B"]
    assert str(tmp_path) not in str(at._tree)  # noqa: SLF001 (the whole rendered page)


def test_explore_without_configured_roots_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(settings, "SHARED_DATA", tmp_path)  # no ../shared/data copy either
    monkeypatch.setattr(
        settings,
        "_DEFAULT_ROOT",
        {k: (label, tmp_path / "none") for k, (label, _) in settings._DEFAULT_ROOT.items()},  # noqa: SLF001
    )
    at = AppTest.from_file(EXPLORE_PAGE, default_timeout=60).run()
    assert not at.exception and not at.error
    assert "No PTB-XL folder is configured" in element_texts(at.info)
    assert at.button(key=keys.W_RUN_SPLIT).disabled


@pytest.mark.parametrize("dataset", ["PTB-XL", "MIT-BIH"])
def test_explore_random_bytes_in_a_root_is_an_error_naming_only_its_label(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dataset: str
) -> None:
    rng = __import__("random").Random(0)
    for name in ("scp_statements.csv", "ptbxl_database.csv", "RECORDS", "100.hea", "100.atr"):
        (tmp_path / name).write_bytes(bytes(rng.randrange(256) for _ in range(4000)))
    monkeypatch.setenv("METS_MITBIH_ROOTS", f"Beats={tmp_path}")
    at = _explore(monkeypatch, f"Ward={tmp_path}")
    if dataset == "MIT-BIH":
        at.radio(key=keys.W_DATASET).set_value("MIT-BIH").run()
    at.button(key=keys.W_RUN_SPLIT).click().run()
    assert not at.exception, at.exception
    label = "Beats" if dataset == "MIT-BIH" else "Ward"
    assert f"“{label}” could not be used" in element_texts(at.error)
    assert str(tmp_path) not in element_texts(at.error)


# --- per-record values kept in the session, not recomputed at every rerun ---


def _derived_script() -> None:
    import streamlit as st

    from mets_core.app import session, ui
    from mets_core.io.examples import load_example

    calls = st.session_state.setdefault("calls", [])
    record = session.record()
    value = ui.for_record(record, "n leads", lambda: calls.append(1) or record.n_leads)
    st.write(f"{value} leads; computed {len(calls)} times")
    if st.session_state.get("replace"):
        session.set_record(load_example("ptbxl_lvh"), "Example: LVH")
        st.session_state["replace"] = False


def test_per_record_values_are_computed_once_and_dropped_with_the_record() -> None:
    from mets_core.io.examples import load_example

    at = AppTest.from_function(_derived_script, default_timeout=30)
    at.session_state[session.KEY_RECORD] = load_example("ptbxl_normal")
    at.run().run()
    assert at.markdown[0].value == "12 leads; computed 1 times"  # the rerun reused it
    at.session_state["replace"] = True
    at.run()
    assert session.KEY_DERIVED not in at.session_state  # set_record dropped the old values
    at.run()
    assert at.markdown[0].value == "12 leads; computed 2 times"  # computed for the new record


# --- docs/SERVING.md's nginx block, run for real in front of the app ---

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
SERVING_DOC = REPO / "docs" / "SERVING.md"


def _doc_nginx_block() -> str:
    text = SERVING_DOC.read_text(encoding="utf-8")
    return text.split("```nginx\n", 1)[1].split("```", 1)[0]


def _nginx_config(tmp: Path, app_port: int, https_port: int, http_port: int) -> str:
    """The documented server blocks, with temporary ports and files, in a minimal nginx.conf."""
    block = (
        _doc_nginx_block()
        .replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("http://127.0.0.1:8501", f"http://127.0.0.1:{app_port}")
        .replace("/etc/nginx/mets/", f"{tmp}/")
    )
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    temp_paths = "".join(
        f"{name}_temp_path {tmp}/{name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}\nworker_processes 1;\nerror_log {tmp}/error.log;\npid {tmp}/nginx.pid;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\naccess_log {tmp}/access.log;\n{temp_paths}{block}\n}}\n"
    )


@pytest.mark.browser
@pytest.mark.skipif(NGINX is None, reason="nginx not installed (apt-get install nginx): skipped")
@pytest.mark.skipif(not shutil.which("htpasswd"), reason="htpasswd (apache2-utils) not installed")
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium absent")
def test_nginx_with_tls_and_a_password_in_front_of_the_app(
    tmp_path: Path, tiny_weights: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright
    from test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, _wait_healthy

    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=localhost", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["htpasswd", "-cbB", str(tmp_path / "htpasswd"), "alice", "ward-secret"],
        check=True,
        capture_output=True,
    )
    app_port, https_port, http_port = _free_port(), _free_port(), _free_port()
    (tmp_path / "nginx.conf").write_text(_nginx_config(tmp_path, app_port, https_port, http_port))
    env = {**os.environ, "METS_WEIGHTS": str(tiny_weights), "METS_DEVICE": "cpu"}
    app = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(app_port),
         "--server.headless", "true"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    nginx = None
    try:
        _wait_healthy(f"http://127.0.0.1:{app_port}", app)
        nginx = subprocess.Popen(
            [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"https://127.0.0.1:{https_port}"
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # self-signed
        deadline = time.monotonic() + 20
        while True:  # nginx up: without a password, 401
            try:
                urllib.request.urlopen(url, context=context, timeout=2)
            except urllib.error.HTTPError as error:
                assert error.code == 401
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
                time.sleep(0.3)
        auth = "Basic " + base64.b64encode(b"alice:ward-secret").decode()
        request = urllib.request.Request(f"{url}/_stcore/metrics", headers={"Authorization": auth})
        with pytest.raises(urllib.error.HTTPError) as metrics:
            urllib.request.urlopen(request, context=context, timeout=5)
        assert metrics.value.code == 404
        request = urllib.request.Request(f"{url}/_stcore/health", headers={"Authorization": auth})
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            assert response.status == 200
            assert "max-age" in response.headers["Strict-Transport-Security"]

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_context(
                ignore_https_errors=True,
                http_credentials={"username": "alice", "password": "ward-secret"},
                viewport={"width": 1400, "height": 2000},
            ).new_page()
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)
            page.goto(f"{url}/Load_ECG")  # the page renders only once the websocket is up
            expect(page.get_by_role("heading", name="Load an ECG")).to_be_visible()
            page.get_by_role("tab", name="Upload a file").click()
            page.locator('input[type="file"]').set_input_files(
                [str(EXAMPLES_DIR / f"00417_hr{ext}") for ext in (".hea", ".dat")]
            )
            expect(page.get_by_text("Signal quality per lead")).to_be_visible()
            expect(page.get_by_text("Upload 1, WFDB").first).to_be_visible()  # no file names
            page.locator('[data-testid="stSidebarNav"] a', has_text="Zero Shot").first.click()
            box = page.get_by_label("Candidate diagnoses, one per line")
            box.fill("normal ECG\natrial fibrillation")
            box.press("Control+Enter")
            page.wait_for_timeout(500)
            page.get_by_role("button", name="Rank", exact=True).click()
            expect(page.get_by_text("Top-ranked:")).to_be_visible()
            browser.close()
        log = (tmp_path / "access.log").read_text()
        assert " 101 " in log, "the websocket went through the proxy"
    finally:
        for process in (nginx, app):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)
