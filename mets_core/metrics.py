"""Metrics on score matrices (scikit-learn, not hand-written): AUROC and balanced multiclass."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)


def macro_auroc(
    labels: npt.NDArray[np.bool_], scores: npt.NDArray[np.float32], class_names: list[str]
) -> dict:
    """Multilabel macro AUROC over classes that have both a positive and a negative.

    Args:
        labels: (N, C) multi-hot truth. scores: (N, C) scores (e.g. raw cosines).
        class_names: C names.

    Returns:
        {"macro_auroc": float | None, "per_class": {name: auroc}, "skipped": [names]} - classes
        without both a positive and a negative are listed under "skipped", never silently dropped.
    """
    per_class, skipped = {}, []
    for c, name in enumerate(class_names):
        positives = int(labels[:, c].sum())
        if positives == 0 or positives == len(labels):
            skipped.append(name)
            continue
        per_class[name] = float(roc_auc_score(labels[:, c], scores[:, c]))
    macro = float(np.mean(list(per_class.values()))) if per_class else None
    return {"macro_auroc": macro, "per_class": per_class, "skipped": skipped}


def multiclass_report(
    truth: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64], class_names: list[str]
) -> dict:
    """Top-1 accuracy, macro P/R/F1, one-vs-rest mean accuracy and the confusion matrix.

    The METS paper's "accuracy" is probably the one-vs-rest mean (METHOD.md section 2), so both
    are reported, each under its own name.
    """
    labels = list(range(len(class_names)))
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, predicted, labels=labels, average="macro", zero_division=0
    )
    matrix = confusion_matrix(truth, predicted, labels=labels)
    total = matrix.sum()
    one_vs_rest = [
        (total - matrix[c].sum() - matrix[:, c].sum() + 2 * matrix[c, c]) / total for c in labels
    ]
    return {
        "top1_accuracy": float(accuracy_score(truth, predicted)),
        "macro_precision": float(precision),
        "macro_recall": float(recall),
        "macro_f1": float(f1),
        "one_vs_rest_mean_accuracy": float(np.mean(one_vs_rest)),
        "confusion_matrix": matrix.tolist(),
        "class_names": list(class_names),
    }
