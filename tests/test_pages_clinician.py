"""AppTest of what a clinician met on the Load and Zero-shot pages (issue 15 items 1, 5, 6, 10,
14; issue 12 part 8): inputs that survive a change of page, no file names that may name a
patient, one collapsed list of routine notes, the reference label beside the ranking, and upload
errors in plain words with no earlier record left on show."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import element_texts
from streamlit.testing.v1 import AppTest

import mets_core
from mets_core.app import exports, keys, session
from mets_core.io.examples import list_examples, load_example
from mets_core.io.uploads import neutral_upload_label, upload_format_name
from mets_core.model.load import load_model
from mets_core.notes import Note, Severity, severity_of, split_notes, warning
from mets_core.zeroshot.agreement import Agreement, compare_with_reference
from mets_core.zeroshot.rank import probability_name

REPO = Path(__file__).resolve().parents[1]
LOAD, RANK = "pages/1_Load_ECG.py", "pages/2_Zero_Shot.py"
MUSE = REPO.parent / "shared" / "data" / "formats" / "ge-muse-xml" / "egm_muse-sinus.xml"
PHI_NAME = "DOE_JOHN_MRN081486213.xml"  # a clinical export named after its patient
TIMEOUT_S = 60
needs_muse = pytest.mark.skipif(not MUSE.is_file(), reason=f"format sample absent: {MUSE}")


pytestmark = pytest.mark.usefixtures("tiny_app_env")


def _everything(at: AppTest) -> str:
    """Every text the run showed, in the page and in the sidebar."""
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title")
    shown = " ".join(
        element_texts(getattr(at, kind)) + element_texts(getattr(at.sidebar, kind))
        for kind in kinds
    )
    return shown + " " + " ".join(e.label for e in at.expander)


def _visit() -> None:
    """AppTest script: run `page` or, for "elsewhere", a page without any of its widgets."""
    import runpy

    import streamlit as st

    target = st.session_state.get("test.page", "elsewhere")
    if target == "elsewhere":
        st.write("another page")
    else:
        runpy.run_path(target)


def _session(**state: object) -> AppTest:
    """An app whose page is chosen by `test.page`, so a test can leave a page and come back."""
    at = AppTest.from_function(_visit, default_timeout=TIMEOUT_S)
    for key, value in state.items():
        at.session_state[key] = value
    return at


def _go(at: AppTest, page: str) -> AppTest:
    at.session_state["test.page"] = str(REPO / page) if page != "elsewhere" else page
    return at.run()


def _upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.file_uploader[0].set_value(  # its key moves on after each upload
        [(name, data, "application/octet-stream") for name, data in files]
    )
    return at.run()


# --- item 1: typed candidates, template, preset and settings persist for the session ---


def test_candidates_template_preset_and_centring_survive_a_change_of_page() -> None:
    at = _go(_session(**{session.KEY_RECORD: load_example("ptbxl_normal")}), RANK)
    at.selectbox(key=keys.W_PRESET).set_value("PTB-XL rhythm").run()
    typed = at.text_area(key=keys.W_CANDIDATES).value + "\nmy own candidate"
    at.text_area(key=keys.W_CANDIDATES).input(typed)
    at.text_input(key=keys.W_TEMPLATE).input("An ECG showing {}.")
    at.checkbox(key=keys.W_CENTER).check().run()
    assert not at.exception

    at = _go(at, "elsewhere")
    assert keys.W_CANDIDATES not in at.session_state  # Streamlit dropped the widget's value
    at = _go(at, RANK)
    assert at.text_area(key=keys.W_CANDIDATES).value == typed
    assert at.text_input(key=keys.W_TEMPLATE).value == "An ECG showing {}."
    assert at.selectbox(key=keys.W_PRESET).value == "PTB-XL rhythm"
    assert at.checkbox(key=keys.W_CENTER).value is True
    assert "my own candidate" in typed


def test_placeholder_is_a_hint_and_an_empty_rank_leaves_no_old_ranking() -> None:
    at = _go(_session(**{session.KEY_RECORD: load_example("ptbxl_normal")}), RANK)
    box = at.text_area(key=keys.W_CANDIDATES)
    assert box.value == "" and box.placeholder.startswith("Type one diagnosis per line, e.g.")
    box.input("atrial fibrillation\nnormal ECG")
    at.button(key=keys.W_RANK).click().run()
    assert at.dataframe and "Top-ranked" in element_texts(at.markdown)

    at.text_area(key=keys.W_CANDIDATES).input("normal ECG\nsinus rhythm").run()  # not ranked yet
    assert "is for the list ranked before (" in element_texts(at.info)  # the old one says so

    at.text_area(key=keys.W_CANDIDATES).input("   ")
    at.button(key=keys.W_RANK).click().run()
    assert not at.exception
    assert "Enter at least one candidate" in element_texts(at.error)
    assert not at.dataframe and "Top-ranked" not in element_texts(at.markdown)
    assert session.KEY_RANKING not in at.session_state
    at = _go(_go(at, "elsewhere"), RANK)  # and it does not come back later either
    assert not at.dataframe and "Top-ranked" not in element_texts(at.markdown)


# --- item 5: no patient identifiers from file names ---


@needs_muse
def test_an_upload_named_after_its_patient_shows_and_exports_a_neutral_label() -> None:
    at = _go(_session(), LOAD)
    at = _upload(at, [(PHI_NAME, MUSE.read_bytes())])
    assert not at.exception and not at.error, element_texts(at.error)
    label = "Upload 1, GE MUSE XML"
    assert label in element_texts(at.sidebar.caption)
    record = at.session_state[session.KEY_RECORD]
    assert record.source == label
    assert "DOE" not in _everything(at) and "MRN081486213" not in _everything(at)

    at = _go(at, RANK)
    at.text_area(key=keys.W_CANDIDATES).input("normal ECG\natrial fibrillation")
    at.button(key=keys.W_RANK).click().run()
    assert not at.exception and not at.error, element_texts(at.error)
    ranking = at.session_state[session.KEY_RANKING]
    csv_bytes, json_bytes = exports.ranking_exports(ranking, record, {"template": "{}"})
    for exported in (csv_bytes.decode(), json_bytes.decode()):
        assert "DOE" not in exported and "MRN081486213" not in exported
    assert json.loads(json_bytes)["record"]["source"] == label
    assert "MRN081486213" not in _everything(at)

    at = _go(at, LOAD)  # the user asks: the name is shown, and only then
    at.checkbox(key=keys.W_SHOW_FILE_NAMES).check().run()
    assert PHI_NAME in element_texts(at.sidebar.caption)
    at = _go(_go(at, "elsewhere"), LOAD)
    assert at.checkbox(key=keys.W_SHOW_FILE_NAMES).value is True  # kept for the session


def test_upload_label_names_the_format_not_the_file() -> None:
    stem = list_examples()[0].path
    pair = [(f"{stem.name}{ext}", stem.with_suffix(ext).read_bytes()) for ext in (".hea", ".dat")]
    assert neutral_upload_label(3, upload_format_name(pair)) == "Upload 3, WFDB"
    assert upload_format_name([("x.xml", bytes(range(256)) * 8)]) is None
    assert neutral_upload_label(1, None) == "Upload 1"


# --- item 6: routine notes folded, warnings only for what changes the reading ---


@needs_muse
def test_routine_notes_fold_into_one_list_and_derived_leads_stay_a_warning() -> None:
    at = _go(_session(), LOAD)
    at = _upload(at, [(PHI_NAME, MUSE.read_bytes())])
    warnings = element_texts(at.warning)
    assert "Derived III, aVR, aVL, aVF from I and II" in warnings
    assert "read as GE MUSE XML" not in warnings and "converted uV" not in warnings
    reading = [e for e in at.expander if e.label.startswith("How the file was read")]
    assert len(reading) == 1
    assert "read as GE MUSE XML" in element_texts(reading[0].markdown)

    at = _go(at, RANK)
    at.text_area(key=keys.W_CANDIDATES).input("normal ECG\natrial fibrillation")
    at.button(key=keys.W_RANK).click().run()
    warnings = element_texts(at.warning)
    assert "Model input:" not in warnings and "read as GE MUSE XML" not in warnings
    assert "Derived III, aVR, aVL, aVF" in warnings
    assert len([e for e in at.expander if e.label.startswith("How the file was read")]) == 1


def test_note_severity_is_set_where_notes_are_written() -> None:
    record = load_example("mitbih_pvc")  # two leads: the missing ones change the reading
    severities = {note: severity_of(note) for note in record.notes}
    assert severities["read lead label MLII as II"] is Severity.ROUTINE
    assert any(s is Severity.WARNING and "missing" in n for n, s in severities.items())
    assert all(severity_of(n) is Severity.ROUTINE for n in load_example("ptbxl_normal").notes)
    flagged = warning("lead V3 is flat")
    assert (
        flagged == "lead V3 is flat" and pickle.loads(pickle.dumps(flagged)).severity == "warning"
    )
    assert split_notes(["a", flagged, "a", Note("b")]) == (("lead V3 is flat",), ("a", "b"))


# --- item 10 / issue 12 part 8: the reference label beside the ranking ---


def test_reference_label_is_beside_the_ranking_and_a_disagreement_is_said(
    tiny_weights: Path,
) -> None:
    example = next(e for e in list_examples() if e.key == "ptbxl_afib")
    record = load_example("ptbxl_afib")
    ranking = mets_core.rank(load_model(tiny_weights), record, "atrial fibrillation\nnormal ECG")
    af_first = replace(ranking, items=tuple(sorted(ranking, key=lambda i: i.candidate)))
    af_last = replace(ranking, items=af_first.items[::-1])
    reference = example.diagnosis_reference
    assert compare_with_reference(af_first, reference).agreement is Agreement.AGREES
    differs = compare_with_reference(af_last, reference)
    assert differs.agreement is Agreement.DIFFERS and differs.named == ("atrial fibrillation",)
    assert differs.message.startswith("The model's top answer “normal ECG” differs from the")
    unrelated = compare_with_reference(af_first, "SCP codes: LVH 100")
    assert unrelated.agreement is Agreement.NOT_COMPARABLE
    coded = compare_with_reference(af_last, "rhythm: AFIB; report: vorhofflimmern")  # Explore's
    assert coded.agreement is Agreement.DIFFERS and coded.named == ("atrial fibrillation",)
    assert compare_with_reference(af_last, "superclass: NORM; report: -").agreement is (
        Agreement.AGREES
    )

    state = {session.KEY_RECORD: record, session.KEY_REFERENCE: reference}
    at = _go(_session(**state), RANK)
    at.text_area(key=keys.W_CANDIDATES).input("atrial fibrillation\nnormal ECG")
    at.button(key=keys.W_RANK).click().run()
    assert not at.exception
    shown = at.session_state[session.KEY_RANKING]
    assert f"Reference label (from the dataset):** {reference}" in element_texts(at.markdown)
    expected = compare_with_reference(shown, reference)
    where = at.warning if expected.agreement is Agreement.DIFFERS else at.success
    assert expected.message in element_texts(where)


def test_probability_column_is_named_for_what_it_is(tiny_weights: Path) -> None:
    ranking = mets_core.rank(load_model(tiny_weights), load_example("ptbxl_normal"), "a\nb")
    calibrated = replace(ranking, calibrated=True)
    assert "calibrated on fold 9" in probability_name(calibrated)
    assert "not calibrated" in probability_name(replace(ranking, calibrated=False))
    table = exports.ranking_table(calibrated)
    assert exports.probability_column(calibrated) in table.columns
    assert not any("relative probability" in column for column in table.columns)


# --- item 14: upload errors in plain words, nothing of the previous record left ---


@needs_muse
def test_unreadable_upload_says_so_and_drops_the_previous_record() -> None:
    at = _go(_session(), LOAD)
    at = _upload(at, [("first.xml", MUSE.read_bytes())])
    assert "GE MUSE XML" in element_texts(at.sidebar.caption)
    noise = bytes(range(256)) * 64
    at = _upload(at, [(PHI_NAME, noise)])
    assert not at.exception
    error = element_texts(at.error)
    assert error.startswith("This file is not an ECG format METS can read:"), error
    assert "Upload 2 ends in '.xml'" in error and "DOE" not in error
    assert "No ECG loaded yet" in element_texts(at.sidebar.caption)
    assert "GE MUSE XML" not in element_texts(at.sidebar.caption)
    assert "leads ·" not in element_texts(at.sidebar.caption)
    assert (
        session.KEY_RECORD not in at.session_state or at.session_state[session.KEY_RECORD] is None
    )


@needs_muse
def test_an_upload_over_the_session_limit_is_refused_in_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _go(_session(), LOAD)
    at = _upload(at, [("first.xml", MUSE.read_bytes())])
    assert "GE MUSE XML" in element_texts(at.sidebar.caption)
    monkeypatch.setenv("METS_SESSION_UPLOAD_MB", "0.01")
    at = _upload(at, [("big.xml", MUSE.read_bytes())])
    assert not at.exception
    assert "one browser session may hold at most" in element_texts(at.error)
    assert "No ECG loaded yet" in element_texts(at.sidebar.caption)
