"""Clinician wordings (issue 13): the phrase table, the report renderer and the variant pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA

from mets_core.data.pairs import build_pairs_with_variants, with_variants
from mets_core.data.phrases import CLASS_DESCRIPTIONS
from mets_core.data.phrasings import (
    PHRASINGS,
    canonical_sentences,
    rephrase_report,
    report_variants,
)
from mets_core.data.ptbxl import PTBXLRow

STATEMENTS = SHARED_DATA / "ptb-xl" / "scp_statements.csv"
CANONICAL = {
    "sinus rhythm": "SR",
    "atrial fibrillation": "AFIB",
    "complete left bundle branch block": "CLBBB",
    "inferior myocardial infarction": "IMI",
    "normal ecg": "NORM",
}


@pytest.fixture(scope="module")
def statements() -> pd.DataFrame:
    if not STATEMENTS.is_file():
        pytest.skip(f"local PTB-XL copy absent at {STATEMENTS.parent}")
    from mets_core.data.ptbxl_labels import load_scp_statements

    return load_scp_statements(STATEMENTS.parent)


def test_every_key_is_an_scp_code_or_a_label_only_class(statements):
    assert set(PHRASINGS) <= set(statements.index) | set(CLASS_DESCRIPTIONS)
    assert set(statements.index) <= set(PHRASINGS)  # every statement has other wordings


def test_wordings_are_distinct_and_never_another_statements_description(statements):
    canonical = canonical_sentences(statements)
    owner: dict[str, str] = {}
    for code, wordings in PHRASINGS.items():
        assert len(wordings) >= 2 and len(set(w.lower() for w in wordings)) == len(wordings)
        for wording in wordings:
            assert owner.setdefault(wording.lower(), code) == code, wording  # one meaning each
            other = canonical.get(wording.lower())
            assert other in (None, code), f"{wording!r} ({code}) is {other}'s description"


def test_ambiguous_abbreviations_are_left_out():
    every = {w for wordings in PHRASINGS.values() for w in wordings}
    assert not {"AMI", "PMI", "ST", "MI"} & every  # acute MI, point of maximal impulse, segment


def test_clinical_abbreviations_are_there():
    assert {"AF", "afib"} <= set(PHRASINGS["AFIB"])
    assert "LBBB" in PHRASINGS["CLBBB"] and "LVH" in PHRASINGS["LVH"]
    assert {"IMI", "inferior MI"} <= set(PHRASINGS["IMI"])
    assert {"SR", "NSR"} <= set(PHRASINGS["SR"])
    assert "1st degree AV block" in PHRASINGS["1AVB"]


def test_canonical_sentences_are_what_the_report_generator_writes(statements):
    from mets_core.data.scp_report import generate_report

    canonical = canonical_sentences(statements)
    assert canonical["atrial fibrillation"] == "AFIB"
    report = generate_report({"AFIB": 0, "CLBBB": 100, "LVH": 80}, statements)
    sentences = [s.removeprefix("probable ").rstrip(".") for s in report.split(". ")]
    assert all(s in canonical for s in sentences), report


def test_rephrasing_keeps_sentences_prefixes_and_unknown_text():
    rng = np.random.default_rng(0)
    report = "atrial fibrillation. probable complete left bundle branch block. odd remark."
    out = rephrase_report(report, CANONICAL, rng).split(". ")
    assert len(out) == 3
    assert out[0] in PHRASINGS["AFIB"]
    assert out[1].startswith("probable ") and out[1][9:] in PHRASINGS["CLBBB"]
    assert out[2] == "odd remark."


def test_variants_start_with_the_report_and_are_seeded():
    report = "sinus rhythm. normal ecg."
    first = report_variants(report, CANONICAL, 4, seed=0, record_id=7)
    assert first == report_variants(report, CANONICAL, 4, seed=0, record_id=7)
    assert first[0] == report and len(first) == 4 and len(set(first)) > 1
    assert first != report_variants(report, CANONICAL, 4, seed=0, record_id=8)
    with pytest.raises(ValueError):
        report_variants(report, CANONICAL, 0, seed=0, record_id=7)


def _row(ecg_id: int) -> PTBXLRow:
    return PTBXLRow(
        ecg_id=ecg_id,
        patient_id=ecg_id,
        strat_fold=1,
        filename_lr="",
        filename_hr="",
        report="",
        scp_codes={},
        labels={},
    )


def test_variant_pairs_share_texts_and_keep_the_report_in_column_zero():
    variants = [["a.", "b.", "a."], ["c.", "a.", "d."]]
    pairs = build_pairs_with_variants(
        [_row(1), _row(2)], np.zeros((2, 12, 10), np.float32), variants, "{}"
    )
    assert pairs.variant_index.shape == (2, 3)
    assert [pairs.texts[i] for i in pairs.text_index] == ["a.", "c."]
    assert [[pairs.texts[i] for i in row] for row in pairs.variant_index] == variants
    assert len(pairs.texts) == 4
    with pytest.raises(ValueError):
        with_variants(pairs, [["a."]])
