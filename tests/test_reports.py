"""Report text: translating the real PTB-XL reports, generated reports, report choice, prompts."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from mets_core.config import METSConfig
from mets_core.data.phrases import ENGLISH_WORDS, GERMAN, SWEDISH
from mets_core.data.ptbxl import load_ptbxl_index
from mets_core.data.ptbxl_labels import load_scp_statements
from mets_core.data.reports import (
    fill_template,
    fold_text,
    generate_report,
    generate_report_from_labels,
    normalize_report,
    report_for_record,
)
from mets_core.errors import LabelInputError

PTBXL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ptb-xl"
# Words that only German or Swedish reports use; none may survive translation.
FOREIGN_MARKERS = re.compile(
    r"sinusrhythmus|sinusrytm|normales|normalt|ekg\b|linkstyp|rechtstyp|lagetyp|schenkelblock|"
    r"vaenster|hoeger|el-axel|skaenkelblock|infarkt|myokard|foerlopp|extrasystol|vorhof|"
    r"foermak|unspezifisch|ospecifik|wahrscheinlich|sannolikt|eller|oder\b|bestaemmbar"
)


@pytest.fixture(scope="module")
def real_reports() -> list[str]:
    path = PTBXL / "ptbxl_database.csv"
    if not path.is_file():
        pytest.skip(f"local PTB-XL copy absent at {PTBXL}")
    return pd.read_csv(path)["report"].fillna("").astype(str).tolist()


@pytest.fixture(scope="module")
def statements() -> pd.DataFrame:
    if not (PTBXL / "scp_statements.csv").is_file():
        pytest.skip(f"local PTB-XL copy absent at {PTBXL}")
    return load_scp_statements(PTBXL)


def test_device_statements_translate():
    result = normalize_report("sinusrhythmus periphere niederspannung")
    assert result.text_en == "sinus rhythm. low limb lead voltage."
    assert result.language == "de" and result.unknown_tokens == ()
    swedish = normalize_report("sinusrytm vÄnster el-axel inget sÄkert patologiskt")
    assert swedish.text_en == "sinus rhythm. left axis deviation. no definite pathology."
    assert swedish.language == "sv"


def test_longest_phrase_wins():
    plain = normalize_report("sinusrhythmus linkstyp").text_en
    over = normalize_report("sinusrhythmus überdrehter linkstyp").text_en
    assert "leftward axis" in plain and "left axis deviation" in over and "leftward" not in over


def test_boilerplate_and_edit_notes_are_dropped():
    text = "sinusrhythmus lagetyp links 4.46 unbestätigter bericht Edit: NORM 100, (NORM 100)"
    result = normalize_report(text)
    assert result.text_en == "sinus rhythm. leftward axis."
    assert "norm" not in result.text_en and "bericht" not in result.text_en
    assert normalize_report("sinus rhythm. normal ecg. 4.46 unconfirmed report").text_en == (
        "sinus rhythm. normal ecg."
    )
    assert normalize_report("trace only requested.").text_en == ""


def test_english_kept_and_abbreviations_expanded():
    english = "sinus rhythm. left axis deviation. voltages are high in chest leads suggesting lvh."
    result = normalize_report(english)
    assert result.text_en == english and result.language == "en" and not result.unknown_tokens
    assert "suspected" in normalize_report("v.a. linkshypertrophie pathol. ekg").text_en


def test_unknown_words_are_reported_not_hidden():
    result = normalize_report("sinusrhythmus blorfwelle")
    assert result.unknown_tokens == ("blorfwelle",)
    assert result.text_en.startswith("sinus rhythm.")
    assert normalize_report(None).text_en == "" and normalize_report("  ").n_tokens == 0


def test_phrase_keys_are_distinct_after_folding():
    for table in (GERMAN, SWEDISH):
        folded = [fold_text(k) for k in table]
        assert len(folded) == len(set(folded))
    overlap = {fold_text(k) for k in GERMAN} & {fold_text(k) for k in SWEDISH}
    assert all(GERMAN[k] == SWEDISH[k] for k in GERMAN if fold_text(k) in overlap)
    assert all(w == w.lower() and " " not in w for w in ENGLISH_WORDS)


def test_real_reports_coverage_and_no_german_left(real_reports):
    results = [normalize_report(t) for t in real_reports]
    tokens = sum(r.n_tokens for r in results)
    unknown = sum(len(r.unknown_tokens) for r in results)
    assert tokens > 5000 and 1 - unknown / tokens >= 0.95
    languages = {r.language for r in results}
    assert {"de", "sv", "en"} <= languages
    leftovers = [r.text_en for r in results if FOREIGN_MARKERS.search(r.text_en)]
    assert leftovers == []


def test_generate_report_order_and_likelihood(statements):
    text = generate_report({"NORM": 80.0, "LVOLT": 0.0, "SBRAD": 0.0}, statements)
    assert text == (
        "sinus bradycardia. probable normal ecg. low qrs voltages in the frontal and horizontal "
        "leads."
    )
    graded = generate_report({"IMI": 15.0, "LVH": 50.0, "ISC_": 35.0, "SR": 0.0}, statements)
    sentences = graded.split(". ")
    assert sentences[0] == "sinus rhythm"
    assert "possible left ventricular hypertrophy" in graded
    assert "possibly non-specific ischemic" in graded
    assert "cannot rule out inferior myocardial infarction" in graded
    assert graded.index("possible left") < graded.index("cannot rule out")
    assert generate_report({"UNKNOWN": 100.0}, statements) == ""


def test_generate_from_labels(statements):
    labels = {
        "superclass": ("CD",),
        "subclass": ("AVB", "IRBBB"),
        "form": ("NST",),
        "rhythm": ("AFIB",),
    }
    text = generate_report_from_labels(labels, statements)
    assert text.startswith("atrial fibrillation. atrioventricular block.")
    assert "incomplete right bundle branch block" in text and "non-specific st changes" in text
    only_super = {"superclass": ("MI",), "subclass": (), "form": (), "rhythm": ()}
    assert generate_report_from_labels(only_super, statements) == "myocardial infarction."


def test_report_for_record_sources(statements):
    if not (PTBXL / "ptbxl_database.csv").is_file():
        pytest.skip("local PTB-XL copy absent")
    index = load_ptbxl_index(PTBXL)
    with_text, merl_only = index.row(1), index.row(1000)
    assert report_for_record(with_text, "original", statements).startswith("sinus rhythm.")
    assert report_for_record(with_text, "generated", statements) == generate_report(
        with_text.scp_codes, statements
    )
    assert report_for_record(with_text, "both", statements) == report_for_record(
        with_text, "original", statements
    )
    assert report_for_record(merl_only, "original", statements) is None
    assert report_for_record(merl_only, "both", statements) == report_for_record(
        merl_only, "generated", statements
    )
    assert all(report_for_record(r, "both", statements) for r in index)
    with pytest.raises(LabelInputError):
        report_for_record(with_text, "translated", statements)  # type: ignore[arg-type]


def test_fill_template():
    assert fill_template(METSConfig().report_template, "sinus rhythm.") == (
        "The report of the ECG is that sinus rhythm."
    )
    assert fill_template("ECG: {report}", "normal ecg.") == "ECG: normal ecg."
    with pytest.raises(LabelInputError, match="no place"):
        fill_template("no placeholder", "x")


def test_the_report_prompt_set_wraps_labels_in_the_pretraining_prompt():
    # One source: the `report` prompt set is the sidecar's pretraining prompt around a label.
    from mets_core.zeroshot.prompts import load_prompt_set

    expected = (METSConfig().report_template + ".",)
    for task, templates in load_prompt_set("report").templates.items():
        assert templates == expected, task
