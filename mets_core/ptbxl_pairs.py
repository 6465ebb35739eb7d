"""PTB-XL ECG/report pairs for pretraining (folds 1-8) and the fold-9 validation set.

Only named splits are used: "train" for pairs, "val" for model selection. Fold 10 is never read
here. `tests/test_leakage.py` checks that no fold-9/10 record or report reaches the train pairs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from mets_core.config import METSConfig
from mets_core.data.ptbxl import PTBXLRow, load_ptbxl_index, split_rows
from mets_core.data.ptbxl_labels import TASK_CLASSES, load_scp_statements
from mets_core.reports import report_for_record
from mets_core.train_data import TrainingPairs, build_pairs, preprocess_rows
from mets_core.train_loop import VALIDATION_TASKS, ValidationSet


def rows_with_reports(rows: list[PTBXLRow], source: str, statements) -> tuple[list, list[str]]:
    """Keep rows that have a report for `source`; return (rows, English report texts)."""
    kept, reports = [], []
    for row in rows:
        report = report_for_record(row, source, statements)
        if report:
            kept.append(row)
            reports.append(report)
    return kept, reports


def cached_signals(
    root: Path, rows: list[PTBXLRow], config: METSConfig, cache_dir: str | None
) -> np.ndarray:
    """Preprocessed signals, cached as .npy keyed by ids + preprocessing config when asked."""
    if not cache_dir:
        return preprocess_rows(root, rows, config.preprocess)
    key = hashlib.sha256(repr((config.preprocess, [r.ecg_id for r in rows])).encode()).hexdigest()
    path = Path(cache_dir) / f"ptbxl_{key[:16]}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    signals = preprocess_rows(root, rows, config.preprocess)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, signals, allow_pickle=False)
    return signals


def label_matrix(rows: list[PTBXLRow], task: str) -> np.ndarray:
    """(N, C) bool multi-hot labels of `task` in TASK_CLASSES order."""
    classes = TASK_CLASSES[task]
    return np.array([[c in row.labels.get(task, ()) for c in classes] for row in rows], bool)


def build_train_and_val(
    root: Path, config: METSConfig, report_source: str, cache_dir: str | None = None
) -> tuple[TrainingPairs, ValidationSet]:
    """Train pairs from folds 1-8 and the fold-9 validation set (reports generated for val loss)."""
    index = load_ptbxl_index(root)
    statements = load_scp_statements(root)
    train_rows, train_reports = rows_with_reports(
        split_rows(index, "train"), report_source, statements
    )
    train = build_pairs(
        train_rows,
        cached_signals(root, train_rows, config, cache_dir),
        train_reports,
        config.report_template,
    )
    val_rows, val_reports = rows_with_reports(split_rows(index, "val"), "generated", statements)
    val_pairs = build_pairs(
        val_rows,
        cached_signals(root, val_rows, config, cache_dir),
        val_reports,
        config.report_template,
    )
    val = ValidationSet(
        val_pairs.signals,
        {task: label_matrix(val_rows, task) for task in VALIDATION_TASKS},
        {task: list(TASK_CLASSES[task]) for task in VALIDATION_TASKS},
        val_pairs.texts,
        val_pairs.text_index,
    )
    return train, val
