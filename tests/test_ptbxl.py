"""PTB-XL reader: index over the real local copy, labels, splits, waveforms, checksums."""

from __future__ import annotations

import ast
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mets_core.data.download import parse_sha256sums, verify_files
from mets_core.data.ptbxl import (
    SOURCE_DATABASE,
    SOURCE_MERL,
    TASK_CLASSES,
    TASKS,
    count_labels,
    load_ptbxl_index,
    load_split_signals,
    read_ptbxl_signal,
    split_ids,
)
from mets_core.data.ptbxl_labels import (
    MERL_TABLE_NAMES,
    build_code_map,
    derive_labels,
    load_scp_statements,
)
from mets_core.errors import DataError
from mets_core.leads import STANDARD_12_LEADS

PTBXL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ptb-xl"
needs_ptbxl = pytest.mark.skipif(
    not (PTBXL / "scp_statements.csv").is_file(), reason=f"local PTB-XL copy absent at {PTBXL}"
)


@pytest.fixture(scope="module")
def index():
    if not (PTBXL / "scp_statements.csv").is_file():
        pytest.skip(f"local PTB-XL copy absent at {PTBXL}")
    return load_ptbxl_index(PTBXL)


@needs_ptbxl
def test_index_covers_every_local_waveform(index):
    ids = [r.ecg_id for r in index]
    assert ids == sorted(set(ids))
    assert len(index) == len(list((PTBXL / "records100").glob("*/*_lr.hea")))
    assert {r.source for r in index} == {SOURCE_DATABASE, SOURCE_MERL}
    database_rows = [r for r in index if r.source == SOURCE_DATABASE]
    assert len(database_rows) == len(pd.read_csv(PTBXL / "ptbxl_database.csv"))
    assert all(r.scp_codes is not None for r in database_rows)
    assert all(r.report is None and r.scp_codes is None for r in index if r.source == SOURCE_MERL)


@needs_ptbxl
def test_500hz_paths_only_where_files_exist(index):
    for r in index:
        if r.filename_hr is not None:
            assert (PTBXL / f"{r.filename_hr}.hea").is_file()
    assert any(r.filename_hr is None for r in index)  # the local copy has 500 Hz for ids 1-500


@needs_ptbxl
def test_derived_labels_equal_merl_tables_where_both_exist(index):
    """Benchmark-code derivation from scp_codes reproduces MERL's tables on every shared record."""
    compared = 0
    for task, name in MERL_TABLE_NAMES.items():
        table = pd.read_csv(next((PTBXL / "derived" / "merl_splits").glob(f"ptbxl_{name}_*.csv")))
        assert tuple(table.columns[7:]) == TASK_CLASSES[task]
        merl = table.set_index("ecg_id")
        for r in index:
            if r.source == SOURCE_DATABASE and r.ecg_id in merl.index:
                expected = tuple(c for c in TASK_CLASSES[task] if merl.loc[r.ecg_id, c] == 1)
                assert r.labels[task] == expected, (task, r.ecg_id)
                compared += 1
    assert compared > 1000


def test_derive_labels_rules_on_handmade_codes():
    statements = pd.DataFrame(
        {
            "description": [
                "normal ECG",
                "non-specific ST changes",
                "first degree AV block",
                "sinus rhythm",
                "low QRS voltages",
            ],
            "diagnostic": [1.0, 1.0, 1.0, np.nan, np.nan],
            "form": [np.nan, 1.0, np.nan, np.nan, 1.0],
            "rhythm": [np.nan, np.nan, np.nan, 1.0, np.nan],
            "diagnostic_class": ["NORM", "STTC", "CD", np.nan, np.nan],
            "diagnostic_subclass": ["NORM", "NST_", "_AVB", np.nan, np.nan],
        },
        index=["NORM", "NST_", "1AVB", "SR", "LVOLT"],
    )
    labels = derive_labels(
        {"NST_": 0.0, "1AVB": 100.0, "SR": 0.0, "XYZ": 100.0}, build_code_map(statements)
    )
    assert labels["superclass"] == ("CD", "STTC")  # every code counts, likelihood 0 included
    assert set(labels["subclass"]) == {"AVB", "NST"}  # MERL names: underscores stripped
    assert labels["form"] == ("NST",)
    assert labels["rhythm"] == ("SR",)


@needs_ptbxl
def test_named_splits_partition_the_index(index):
    train, val, test = (set(split_ids(index, s)) for s in ("train", "val", "test"))
    assert train and val and test
    assert not (train & val or train & test or val & test)
    assert train | val | test == {r.ecg_id for r in index}
    with pytest.raises(DataError, match="train, val, test"):
        split_ids(index, "fold10")  # type: ignore[arg-type]


@needs_ptbxl
def test_count_labels_matches_rows(index):
    counts = count_labels(index)
    assert counts["val"]["records"] == len(split_ids(index, "val"))
    for split in ("train", "val", "test"):
        for task in TASKS:
            per_class = counts[split]["classes"][task]
            assert list(per_class) == list(TASK_CLASSES[task])
            assert sum(per_class.values()) >= counts[split]["labelled"][task]


@needs_ptbxl
@pytest.mark.parametrize("fs_hz, n_samples", [(100, 1000), (500, 5000)])
def test_read_signal_in_standard_lead_order(index, fs_hz, n_samples):
    record = read_ptbxl_signal(PTBXL, index.row(1), fs_hz=fs_hz).validate()
    assert record.signal.shape == (12, n_samples) and record.signal.dtype == np.float32
    assert record.lead_names == STANDARD_12_LEADS and record.fs_hz == fs_hz
    assert 0.05 < float(np.abs(record.signal).max()) < 10  # millivolts, not microvolts
    einthoven = record.lead("I") + record.lead("III") - record.lead("II")  # I + III = II
    assert float(np.abs(einthoven).max()) < 0.02


@needs_ptbxl
def test_read_signal_errors(index):
    with pytest.raises(DataError, match="500 Hz"):
        read_ptbxl_signal(PTBXL, index.row(1999), fs_hz=500)
    with pytest.raises(DataError, match="100 Hz or 500 Hz"):
        read_ptbxl_signal(PTBXL, index.row(1), fs_hz=250)


@needs_ptbxl
def test_load_split_signals_and_cache(index, tmp_path):
    ids, signals = load_split_signals(PTBXL, index, "val", cache_dir=tmp_path, progress=False)
    assert ids == split_ids(index, "val")
    assert signals.shape == (len(ids), 12, 1000) and signals.dtype == np.float32
    first = read_ptbxl_signal(PTBXL, index.row(ids[0])).signal
    np.testing.assert_array_equal(signals[0], first)
    assert len(list(tmp_path.glob("*.npy"))) == 1
    ids_again, cached = load_split_signals(PTBXL, index, "val", cache_dir=tmp_path, progress=False)
    assert ids_again == ids and np.array_equal(cached, signals)


def test_missing_folder_and_files_raise_data_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_ptbxl_index(tmp_path / "nowhere")
    with pytest.raises(DataError, match="scp_statements.csv"):
        load_ptbxl_index(tmp_path)


@needs_ptbxl
def test_folder_without_metadata_raises(tmp_path):
    shutil.copy(PTBXL / "scp_statements.csv", tmp_path)
    with pytest.raises(DataError, match="ptbxl_database.csv"):
        load_ptbxl_index(tmp_path)


@needs_ptbxl
def test_full_release_layout_without_merl_tables(tmp_path):
    """A folder laid out like the PhysioNet release (no derived/ tables) is read from the CSV."""
    shutil.copy(PTBXL / "scp_statements.csv", tmp_path)
    frame = pd.read_csv(PTBXL / "ptbxl_database.csv").head(5)
    frame.to_csv(tmp_path / "ptbxl_database.csv", index=False)
    for name in frame["filename_lr"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        for ext in (".hea", ".dat"):
            shutil.copy(PTBXL / f"{name}{ext}", tmp_path / f"{name}{ext}")
    index = load_ptbxl_index(tmp_path)
    assert [r.ecg_id for r in index] == frame["ecg_id"].tolist()
    assert all(r.source == SOURCE_DATABASE and r.filename_hr is None for r in index)
    first_codes = ast.literal_eval(frame["scp_codes"].iloc[0])
    assert index.rows[0].scp_codes == first_codes


@needs_ptbxl
def test_scp_statements_loads_with_required_columns():
    statements = load_scp_statements(PTBXL)
    assert {"SR", "NORM", "AFIB"} <= set(statements.index)


@needs_ptbxl
def test_verify_files_on_the_official_partial_checksums():
    sums = parse_sha256sums((PTBXL / "SHA256SUMS_official_partial.txt").read_text())
    records = {p: d for p, d in sums.items() if p.startswith("records")}
    assert len(records) > 100
    assert verify_files(PTBXL, records) == []  # local waveforms are byte-identical to PhysioNet
    # the local ptbxl_database.csv holds 732 of 21,837 rows: verification must notice
    assert verify_files(PTBXL, {"ptbxl_database.csv": sums["ptbxl_database.csv"]}) == [
        "checksum mismatch: ptbxl_database.csv"
    ]


def test_verify_files_reports_missing_and_altered(tmp_path):
    good, bad = tmp_path / "a.dat", tmp_path / "sub" / "b.hea"
    bad.parent.mkdir()
    good.write_bytes(b"ecg")
    bad.write_bytes(b"changed")
    text = (
        f"{hashlib.sha256(b'ecg').hexdigest()}  a.dat\n"
        f"{hashlib.sha256(b'original').hexdigest()} *sub/b.hea\n\n"
        f"{'0' * 64} gone.dat\n"
    )
    sums = parse_sha256sums(text)
    assert list(sums) == ["a.dat", "sub/b.hea", "gone.dat"]
    assert verify_files(tmp_path, sums) == ["checksum mismatch: sub/b.hea", "missing: gone.dat"]


@pytest.mark.parametrize(
    "line", ["nothex  file.dat", f"{'a' * 64}", f"{'a' * 64} ../escape.dat", f"{'a' * 64} /etc/x"]
)
def test_parse_sha256sums_rejects_bad_lines(line):
    with pytest.raises(DataError):
        parse_sha256sums(line)
