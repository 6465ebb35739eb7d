"""The training data of `mets train`: PTB-XL pairs from folds 1-8 and the fold-9 validation set.

Only named splits are used: "train" for pairs, "val" for model selection. Fold 10 is never read
here. `tests/test_leakage.py` checks that no fold-9/10 record or report reaches the train pairs.
"""

from __future__ import annotations

from pathlib import Path

from mets_core.config import METSConfig
from mets_core.data.pairs import (
    TrainingPairs,
    build_pairs,
    cached_signals,
    label_matrix,
    rows_with_reports,
)
from mets_core.data.ptbxl import load_ptbxl_index, split_rows
from mets_core.data.ptbxl_labels import TASK_CLASSES, load_scp_statements
from mets_core.train.validation import VALIDATION_TASKS, ValidationSet


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
