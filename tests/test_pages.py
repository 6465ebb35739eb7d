"""AppTest on every page: it loads, the load -> view -> rank flow works, bad input -> st.error."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from conftest import element_texts
from streamlit.testing.v1 import AppTest

from mets_core.app import exports, keys, session
from mets_core.io.examples import EXAMPLES_DIR, load_example

REPO = Path(__file__).resolve().parents[1]
PAGES = ["app.py", *sorted(f"pages/{p.name}" for p in (REPO / "pages").glob("*.py"))]
PTBXL = REPO.parent / "shared" / "data" / "ptb-xl"
MITBIH = REPO.parent / "shared" / "data" / "mit-bih"
TIMEOUT_S = 30
EXTS = (".hea", ".dat")


pytestmark = pytest.mark.usefixtures("tiny_app_env")


def _app(page: str = "app.py", **state: object) -> AppTest:
    at = AppTest.from_file(str(REPO / page), default_timeout=TIMEOUT_S)
    for key, value in state.items():
        at.session_state[key] = value
    return at


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_a_record(page: str) -> None:
    at = _app(page).run()
    assert not at.exception, at.exception
    assert not at.error, element_texts(at.error)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_with_a_real_record(page: str) -> None:
    record = load_example("ptbxl_afib")
    at = _app(page, **{session.KEY_RECORD: record, session.KEY_RECORD_LABEL: "Example: AF"}).run()
    assert not at.exception, at.exception
    assert not at.error, element_texts(at.error)


def test_home_names_the_weights_and_warns_about_random_init() -> None:
    at = _app().run()
    assert "random" in element_texts(at.warning).lower()  # the tiny checkpoint is not trained
    assert "CPU" in element_texts(at.markdown)


def test_full_flow_example_to_ranking() -> None:
    at = _app().run()
    at.switch_page("pages/1_Load_ECG.py").run()
    at.selectbox(key=keys.W_EXAMPLE).set_value("ptbxl_lbbb")
    at.button(key=keys.W_LOAD_EXAMPLE).click().run()
    assert not at.exception and not at.error
    record = at.session_state[session.KEY_RECORD]
    assert record.n_leads == 12 and record.fs_hz == 500
    assert "12" in element_texts(at.metric)
    assert "ECG in use" in element_texts(at.sidebar.caption)  # the sidebar follows in the same run

    at.switch_page("pages/3_Signal_View.py").run()
    assert not at.exception and not at.error
    at.radio(key=keys.W_LAYOUT).set_value("12x1")
    at.radio(key=keys.W_TRACE).set_value("Cleaned over raw").run()
    assert not at.exception and not at.error

    at.switch_page("pages/2_Zero_Shot.py").run()
    at.text_area(key=keys.W_CANDIDATES).input("left bundle branch block\nnormal ECG")
    at.button(key=keys.W_RANK).click().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value  # the ranking table comes first
    assert set(table["candidate"]) == {"left bundle branch block", "normal ECG"}
    column = exports.probability_column(at.session_state[session.KEY_RANKING])
    assert table[column].sum() == pytest.approx(100.0, abs=0.2)

    at.button(key=keys.W_EXPLAIN).click().run()
    assert not at.exception and not at.error
    by_lead, by_time = at.session_state[session.KEY_IMPORTANCE]
    assert len(by_lead) == 12 and len(by_time.deltas) == 10  # 12 leads, 10 one-second segments


def test_preset_fills_candidates() -> None:
    at = _app("pages/2_Zero_Shot.py", **{session.KEY_RECORD: load_example("ptbxl_normal")}).run()
    at.selectbox(key=keys.W_PRESET).set_value("PTB-XL superclass").run()
    assert "myocardial infarction" in at.text_area(key=keys.W_CANDIDATES).value


@pytest.mark.parametrize(
    ("candidates", "template", "expected"),
    [
        ("  \n\n", "{}", "at least one candidate"),
        ("normal ECG\nNormal ECG", "{}", "twice"),
        ("normal ECG", "no slot here", "{}"),
    ],
)
def test_bad_candidates_show_an_error(candidates: str, template: str, expected: str) -> None:
    at = _app("pages/2_Zero_Shot.py", **{session.KEY_RECORD: load_example("ptbxl_normal")}).run()
    at.text_area(key=keys.W_CANDIDATES).input(candidates)
    at.text_input(key=keys.W_TEMPLATE).input(template)
    at.button(key=keys.W_RANK).click().run()
    assert not at.exception
    assert expected in element_texts(at.error)


def _upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.file_uploader(key=keys.W_UPLOAD).set_value(
        [(name, data, "application/octet-stream") for name, data in files]
    )
    return at.run()


def test_real_wfdb_pair_upload() -> None:
    pair = [(f"00417_hr{ext}", (EXAMPLES_DIR / f"00417_hr{ext}").read_bytes()) for ext in EXTS]
    at = _upload(_app("pages/1_Load_ECG.py").run(), pair)
    assert not at.exception and not at.error, element_texts(at.error)
    assert at.session_state[session.KEY_RECORD].n_leads == 12


@pytest.mark.parametrize(
    "files",
    [
        [("00417_hr.hea", (EXAMPLES_DIR / "00417_hr.hea").read_bytes())],  # .dat missing
        [("broken.hea", b"this is not a WFDB header\n")],
        [("scan.pdf", b"%PDF-1.4 not an ECG")],
    ],
    ids=["hea-without-dat", "garbage-header", "unsupported-type"],
)
def test_broken_upload_shows_an_error(files: list[tuple[str, bytes]]) -> None:
    at = _upload(_app("pages/1_Load_ECG.py").run(), files)
    assert not at.exception, at.exception
    assert at.error, "a broken upload must show st.error"
    assert session.KEY_RECORD not in at.session_state


def test_ranking_exports_carry_record_and_settings(tiny_weights: Path) -> None:
    import mets_core

    model = mets_core.load_model(tiny_weights, device="cpu")
    record = load_example("ptbxl_normal")
    ranking = mets_core.rank(model, record, ["normal ECG", "atrial fibrillation"])
    csv_bytes, json_bytes = exports.ranking_exports(ranking, record, {"template": "{}"})
    table = pd.read_csv(StringIO(csv_bytes.decode()), comment="#")
    assert list(table["candidate"]) == [item.candidate for item in ranking]
    payload = json.loads(json_bytes)
    assert payload["record"]["sampling rate"] == "500 Hz"
    assert payload["settings"]["template"] == "{}"
    assert payload["weights"]["trained"] is False


def test_explore_bad_folder_shows_an_error(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("METS_PTBXL_ROOTS", f"Ward copy={tmp_path / 'no-such-folder'}")
    at = _app("pages/4_Explore_Dataset.py").run()
    assert at.selectbox(key=keys.W_DATA_DIR).value == "Ward copy"  # a configured label, no path
    at.button(key=keys.W_RUN_SPLIT).click().run()
    assert not at.exception
    assert "Ward copy" in element_texts(at.error)
    assert str(tmp_path) not in element_texts(at.error)  # errors never say which directories exist


@pytest.mark.skipif(not PTBXL.is_dir(), reason=f"PTB-XL copy not found at {PTBXL}")
def test_explore_runs_on_real_test_split_and_opens_a_record() -> None:
    at = _app().run()
    at.switch_page("pages/4_Explore_Dataset.py").run()
    assert at.selectbox(key=keys.W_DATA_DIR).value == "PTB-XL"  # default: ../shared/data copy
    at.number_input(key=keys.W_MAX_RECORDS).set_value(4)
    at.button(key=keys.W_RUN_SPLIT).click().run()
    assert not at.exception and not at.error, element_texts(at.error)
    table = at.session_state[session.KEY_EXPLORE]
    assert len(table) == 4 and {"ecg_id", "true", "predicted", "correct"} <= set(table.columns)
    at.toggle(key=keys.W_ONLY_WRONG).set_value(False).run()
    at.button(key=keys.W_OPEN_RECORD).click().run()
    assert not at.exception and not at.error
    assert at.session_state[session.KEY_RECORD].n_leads == 12
    assert "report" in at.session_state[session.KEY_REFERENCE]
    assert at.title[0].value.endswith("Signal view")  # switched page, record and report shown
    assert "Reference (from the dataset)" in element_texts(at.caption)
    assert len(at.session_state[session.KEY_RANKING]) == 5  # the five superclasses, ranked


@pytest.mark.skipif(not MITBIH.is_dir(), reason=f"MIT-BIH copy not found at {MITBIH}")
def test_explore_mitbih_mode_runs_on_real_beats_and_opens_one() -> None:
    at = _app().run()
    at.switch_page("pages/4_Explore_Dataset.py").run()
    at.radio(key=keys.W_DATASET).set_value("MIT-BIH").run()
    assert at.selectbox(key=keys.W_MITBIH_DIR).value == "MIT-BIH"  # default ../shared/data
    at.number_input(key=keys.W_BEATS_PER_CLASS).set_value(1)
    at.button(key=keys.W_RUN_SPLIT).click().run()
    assert not at.exception and not at.error, element_texts(at.error)
    table = at.session_state[session.KEY_EXPLORE]
    assert table["true"].tolist() == ["N", "L", "R", "A", "V"]
    assert all(":" in beat_id for beat_id in table["ecg_id"])  # record:sample
    at.toggle(key=keys.W_ONLY_WRONG).set_value(False).run()
    at.selectbox(key=keys.W_OPEN_ID).set_value(table["ecg_id"].iloc[3])  # the A beat
    at.button(key=keys.W_OPEN_RECORD).click().run()
    assert not at.exception and not at.error, element_texts(at.error)
    record = at.session_state[session.KEY_RECORD]
    assert record.fs_hz == 360 and record.duration_s == pytest.approx(5.0)
    assert "beat class: A" in at.session_state[session.KEY_REFERENCE]
    assert at.title[0].value.endswith("Signal view")
    assert len(at.session_state[session.KEY_RANKING]) == 5  # the five beat classes, ranked
