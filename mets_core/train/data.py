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
    build_pairs_with_variants,
    cached_signals,
    label_matrix,
    rows_with_reports,
)
from mets_core.data.phrasings import canonical_sentences, report_variants
from mets_core.data.ptbxl import load_ptbxl_index, split_rows
from mets_core.data.ptbxl_labels import TASK_CLASSES, load_scp_statements
from mets_core.train.validation import VALIDATION_TASKS, ValidationSet


def build_train_and_val(
    root: Path,
    config: METSConfig,
    report_source: str,
    cache_dir: str | None = None,
    phrasings: int = 0,
    seed: int = 0,
) -> tuple[TrainingPairs, ValidationSet]:
    """Train pairs from folds 1-8 and the fold-9 validation set (reports generated for val loss).

    Args:
        phrasings: K > 1 renders every training report K ways (itself plus K - 1 clinician
            rephrasings, `data.phrasings`; seeded by `seed` and the ecg_id); 0 or 1: off.
            Fold-9 texts are never rephrased.
    """
    index = load_ptbxl_index(root)
    statements = load_scp_statements(root)
    train_rows, train_reports = rows_with_reports(
        split_rows(index, "train"), report_source, statements
    )
    train_signals = cached_signals(root, train_rows, config, cache_dir)
    if phrasings > 1:
        canonical = canonical_sentences(statements)
        variants = [
            report_variants(report, canonical, phrasings, seed, row.ecg_id)
            for row, report in zip(train_rows, train_reports, strict=True)
        ]
        train = build_pairs_with_variants(
            train_rows, train_signals, variants, config.report_template
        )
    else:
        train = build_pairs(train_rows, train_signals, train_reports, config.report_template)
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
