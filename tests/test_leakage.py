"""Leakage guard: no fold-9/10 record, report or patient reaches the pretraining set.

Folds are re-read here straight from the CSV files (not through `mets_core`), so a bug in the
reader cannot hide a leak from this test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from mets_core.data.ptbxl import TRAIN_FOLDS, load_ptbxl_index, split_ids, split_rows
from mets_core.data.ptbxl_labels import load_scp_statements
from mets_core.data.reports import normalize_report, report_for_record
from mets_core.errors import DataError

PTBXL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ptb-xl"
HELD_OUT_FOLDS = (9, 10)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """ecg_id, patient_id, strat_fold, report from the CSV files themselves."""
    if not (PTBXL / "ptbxl_database.csv").is_file():
        pytest.skip(f"local PTB-XL copy absent at {PTBXL}")
    database = pd.read_csv(PTBXL / "ptbxl_database.csv")
    merl = pd.concat(
        pd.read_csv(p)[["ecg_id", "patient_id", "strat_fold"]]
        for p in (PTBXL / "derived" / "merl_splits").glob("ptbxl_*_ids*.csv")
    )
    cols = ["ecg_id", "patient_id", "strat_fold"]
    table = pd.concat([database[cols], merl]).drop_duplicates()
    assert not table["ecg_id"].duplicated().any(), "sources disagree on a record's fold/patient"
    return table.merge(database[["ecg_id", "report"]], on="ecg_id", how="left")


@pytest.fixture(scope="module")
def index():
    return load_ptbxl_index(PTBXL)


@pytest.fixture(scope="module")
def training_pairs(index) -> list[tuple[int, str]]:
    """(ecg_id, English report) pairs exactly as pretraining builds them."""
    statements = load_scp_statements(PTBXL)
    pairs = []
    for row in split_rows(index, "train"):
        report = report_for_record(row, "both", statements)
        if report:
            pairs.append((row.ecg_id, report))
    return pairs


def test_train_split_has_no_held_out_record(index, raw):
    fold_of = dict(zip(raw["ecg_id"], raw["strat_fold"], strict=True))
    train = split_ids(index, "train")
    assert len(train) > 1000
    assert all(fold_of[i] in TRAIN_FOLDS for i in train)
    held_out = {i for i, f in fold_of.items() if f in HELD_OUT_FOLDS}
    assert held_out and not held_out & set(train)


def test_splits_are_disjoint(index):
    train, val, test = (set(split_ids(index, s)) for s in ("train", "val", "test"))
    assert not train & val and not train & test and not val & test


def test_no_held_out_report_in_training_pairs(raw, training_pairs):
    fold_of = dict(zip(raw["ecg_id"], raw["strat_fold"], strict=True))
    assert all(fold_of[i] in TRAIN_FOLDS for i, _ in training_pairs)
    # pairing integrity: a record's original report comes from that record's own CSV row
    report_of = dict(zip(raw["ecg_id"], raw["report"], strict=True))
    for ecg_id, text in training_pairs:
        if isinstance(report_of[ecg_id], str) and normalize_report(report_of[ecg_id]).text_en:
            assert text == normalize_report(report_of[ecg_id]).text_en, ecg_id
    # content check: reports written only for held-out records never appear in training text
    train_raw = set(raw.loc[raw["strat_fold"].isin(TRAIN_FOLDS), "report"].dropna())
    held_raw = set(raw.loc[raw["strat_fold"].isin(HELD_OUT_FOLDS), "report"].dropna())
    held_only = {normalize_report(t).text_en for t in held_raw - train_raw}
    train_texts = {normalize_report(t).text_en for t in train_raw}
    held_only -= train_texts | {""}
    assert held_only, "expected some reports unique to folds 9-10 to make this check meaningful"
    # (a report *generated* from a training record's codes may by chance read like a held-out
    # record's translated text; that is not leakage, so compare original-text pairs only)
    from_original = {
        t
        for i, t in training_pairs
        if isinstance(report_of[i], str) and normalize_report(report_of[i]).text_en
    }
    assert not held_only & from_original


def test_no_patient_in_both_train_and_held_out(raw):
    """PTB-XL's strat_fold is patient-stratified; the local copy keeps that (0 shared patients)."""
    train_patients = set(raw.loc[raw["strat_fold"].isin(TRAIN_FOLDS), "patient_id"])
    for fold in HELD_OUT_FOLDS:
        held = set(raw.loc[raw["strat_fold"] == fold, "patient_id"])
        assert held and not held & train_patients, f"patients shared with fold {fold}"


def test_conflicting_fold_sources_are_refused(tmp_path):
    """If ptbxl_database.csv and a MERL table disagree on a fold, the reader must not guess."""
    if not (PTBXL / "scp_statements.csv").is_file():
        pytest.skip(f"local PTB-XL copy absent at {PTBXL}")
    shutil.copy(PTBXL / "scp_statements.csv", tmp_path)
    row = {
        "ecg_id": 1,
        "patient_id": 7.0,
        "strat_fold": 3,
        "scp_codes": "{'NORM': 100.0}",
        "report": "sinusrhythmus normales ekg",
        "filename_lr": "records100/00000/00001_lr",
        "filename_hr": "records500/00000/00001_hr",
    }
    pd.DataFrame([row]).to_csv(tmp_path / "ptbxl_database.csv", index=False)
    merl = tmp_path / "derived" / "merl_splits"
    merl.mkdir(parents=True)
    table = pd.read_csv(next((PTBXL / "derived" / "merl_splits").glob("ptbxl_rhythm_*.csv")))
    table = table[table["ecg_id"] == 1].assign(strat_fold=10)
    table.to_csv(merl / "ptbxl_rhythm_ids1-1.csv", index=False)
    with pytest.raises(DataError, match="refusing to guess"):
        load_ptbxl_index(tmp_path)
