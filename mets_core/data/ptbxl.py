"""PTB-XL for training and evaluation: named splits, label counts and waveform reading.

Named splits only (folds 1-8 train, 9 validation, 10 test, as recommended with the release):
no function hands out arbitrary folds, so evaluation code cannot quietly select on fold 10.
The index itself lives in `ptbxl_index` (re-exported here) and the label rules in `ptbxl_labels`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import wfdb
from tqdm import tqdm

from mets_core.data.ptbxl_index import (
    SOURCE_DATABASE,
    SOURCE_MERL,
    PTBXLIndex,
    PTBXLRow,
    load_ptbxl_index,
)
from mets_core.data.ptbxl_labels import TASK_CLASSES, TASKS
from mets_core.errors import DataError
from mets_core.leads import STANDARD_12_LEADS, normalize_lead_name
from mets_core.record import ECGRecord

__all__ = [
    "SOURCE_DATABASE",
    "SOURCE_MERL",
    "TASKS",
    "TASK_CLASSES",
    "TEST_FOLDS",
    "TRAIN_FOLDS",
    "VAL_FOLDS",
    "PTBXLIndex",
    "PTBXLRow",
    "Split",
    "count_labels",
    "load_ptbxl_index",
    "load_split_signals",
    "read_ptbxl_signal",
    "split_ids",
    "split_rows",
]

Split = Literal["train", "val", "test"]
TRAIN_FOLDS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)  # PTB-XL recommendation (Wagner 2020)
VAL_FOLDS: tuple[int, ...] = (9,)
TEST_FOLDS: tuple[int, ...] = (10,)
_SPLIT_FOLDS: dict[str, tuple[int, ...]] = {
    "train": TRAIN_FOLDS,
    "val": VAL_FOLDS,
    "test": TEST_FOLDS,
}
_RATES_HZ = (100, 500)


def split_rows(index: PTBXLIndex, split: Split) -> list[PTBXLRow]:
    """Rows of a named split: "train" = folds 1-8, "val" = fold 9, "test" = fold 10."""
    if split not in _SPLIT_FOLDS:
        raise DataError(f"Unknown split {split!r}; expected one of train, val, test.")
    folds = _SPLIT_FOLDS[split]
    return [r for r in index.rows if r.strat_fold in folds]


def split_ids(index: PTBXLIndex, split: Split) -> list[int]:
    """ecg_ids of a named split, ascending ("train" = folds 1-8, "val" = 9, "test" = 10)."""
    return [r.ecg_id for r in split_rows(index, split)]


def count_labels(index: PTBXLIndex) -> dict[str, dict[str, object]]:
    """Records and per-class label counts per split and task.

    Args:
        index: a loaded index.

    Returns:
        split -> {"records": n, "sources": {source: n}, "labelled": {task: n records with at
        least one label}, "classes": {task: {class: n}}}.
    """
    out: dict[str, dict[str, object]] = {}
    for split in _SPLIT_FOLDS:
        rows = split_rows(index, split)  # type: ignore[arg-type]
        sources: dict[str, int] = {}
        for r in rows:
            sources[r.source] = sources.get(r.source, 0) + 1
        out[split] = {
            "records": len(rows),
            "sources": sources,
            "labelled": {t: sum(bool(r.labels[t]) for r in rows) for t in TASKS},
            "classes": {
                t: {c: sum(c in r.labels[t] for r in rows) for c in TASK_CLASSES[t]} for t in TASKS
            },
        }
    return out


def _record_path(root: Path, row: PTBXLRow, fs_hz: int) -> Path:
    if fs_hz not in _RATES_HZ:
        raise DataError(f"PTB-XL is recorded at 100 Hz or 500 Hz; {fs_hz} Hz was asked for.")
    filename = row.filename_lr if fs_hz == 100 else row.filename_hr
    if filename is None or not (Path(root) / f"{filename}.hea").is_file():
        raise DataError(
            f"ECG {row.ecg_id} has no {fs_hz} Hz waveform under {root} "
            f"(expected {filename or 'a records500/ file'}.hea and .dat)."
        )
    return Path(root) / filename


def read_ptbxl_signal(root: Path, row: PTBXLRow, fs_hz: int = 100) -> ECGRecord:
    """Read one PTB-XL waveform with wfdb, leads in `STANDARD_12_LEADS` order.

    Args:
        root: the PTB-XL folder.
        row: the record's index row.
        fs_hz: 100 (records100, 1000 samples) or 500 (records500, 5000 samples).

    Returns:
        An `ECGRecord` with signal (12, T) float32 in mV.

    Raises:
        DataError: for another rate, missing files, or a header without the 12 standard leads.
    """
    path = _record_path(Path(root), row, fs_hz)
    try:
        signal, fields = wfdb.rdsamp(str(path))
    except (OSError, ValueError) as error:
        raise DataError(f"Cannot read the WFDB record {path}: {error}") from error
    names = [normalize_lead_name(n) for n in fields["sig_name"]]
    if sorted(n for n in names if n) != sorted(STANDARD_12_LEADS):
        raise DataError(
            f"{path}.hea lists leads {', '.join(fields['sig_name'])}; expected the 12 standard "
            f"leads {', '.join(STANDARD_12_LEADS)}."
        )
    order = [names.index(lead) for lead in STANDARD_12_LEADS]
    data = np.ascontiguousarray(signal[:, order].T, dtype=np.float32)  # (T, L) -> (L, T)
    return ECGRecord(
        signal=data,
        fs_hz=float(fields["fs"]),
        lead_names=STANDARD_12_LEADS,
        source=f"PTB-XL ecg_id {row.ecg_id} ({fs_hz} Hz)",
    )


def _cache_path(cache_dir: Path, index: PTBXLIndex, split: str, ids: list[int], fs_hz: int) -> Path:
    key = hashlib.sha256(f"{index.root.resolve()}|{fs_hz}|{ids}".encode()).hexdigest()[:16]
    return Path(cache_dir) / f"ptbxl_{split}_{fs_hz}hz_{len(ids)}_{key}.npy"


def load_split_signals(
    root: Path,
    index: PTBXLIndex,
    split: Split,
    fs_hz: int = 100,
    cache_dir: Path | None = None,
    progress: bool = True,
) -> tuple[list[int], npt.NDArray[np.float32]]:
    """Read every waveform of a named split into one array.

    Args:
        root: the PTB-XL folder.
        index: `load_ptbxl_index(root)`.
        split: "train" (folds 1-8), "val" (fold 9) or "test" (fold 10).
        fs_hz: 100 or 500; records without a waveform at that rate are left out.
        cache_dir: optional folder for a `.npy` cache keyed by root, rate and the exact id
            list; nothing is written when None.
        progress: show a tqdm bar while reading.

    Returns:
        (ecg_ids, signals): ascending ids and a float32 array (N, 12, T) in mV, row i = ids[i].
    """
    rows = [r for r in split_rows(index, split) if fs_hz == 100 or r.filename_hr is not None]
    ids = [r.ecg_id for r in rows]
    cache = _cache_path(cache_dir, index, split, ids, fs_hz) if cache_dir else None
    if cache is not None and cache.is_file():
        signals = np.load(cache)
        if signals.shape[0] == len(ids):
            return ids, signals
    bar = tqdm(rows, desc=f"PTB-XL {split} {fs_hz} Hz", unit="rec", disable=not progress)
    signals = np.stack([read_ptbxl_signal(root, r, fs_hz).signal for r in bar])
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, signals)
    return ids, signals
