"""Metrics on score matrices: AUROC (sklearn; vectorised ranks for bootstrap), multiclass."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata
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


def auroc_by_ranks(labels: npt.NDArray[np.bool_], scores: npt.NDArray[np.floating]) -> np.ndarray:
    """Row-wise AUROC (Mann-Whitney U on average ranks, ties count one half), vectorised.

    Args:
        labels: (R, N) bool truth, one problem per row. scores: (R, N) scores.

    Returns:
        (R,) AUROC; NaN for rows without both a positive and a negative.
    """
    ranks = rankdata(scores, axis=1)
    n_pos = labels.sum(axis=1).astype(np.float64)
    n_neg = labels.shape[1] - n_pos
    u = (ranks * labels).sum(axis=1) - n_pos * (n_pos + 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = u / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def bootstrap_macro_auroc(
    labels: npt.NDArray[np.bool_],
    scores: npt.NDArray[np.floating],
    class_names: list[str],
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict:
    """`macro_auroc` plus percentile bootstrap 95% intervals (records resampled with replacement).

    Each resample draws N records; a class lacking a positive or a negative in a resample is left
    out of that resample's macro mean (nanmean). All resamples are computed at once.

    Args:
        labels: (N, C) multi-hot truth. scores: (N, C) scores. class_names: C names.
        n_resamples: bootstrap resamples (0 = no intervals). seed: numpy seed (fixed: repeatable).

    Returns:
        `macro_auroc`'s dict plus "ci95" [low, high] for the macro AUROC, "per_class_ci95"
        {name: [low, high]}, "n_records", "n_positive" {name: count}, "n_resamples", "seed".
    """
    base = macro_auroc(labels, scores, class_names)
    positives = {n: int(labels[:, c].sum()) for c, n in enumerate(class_names)}
    base.update(
        n_records=int(len(labels)),
        n_positive=positives,
        n_resamples=n_resamples,
        seed=seed,
        ci95=None,
        per_class_ci95={},
    )
    kept = [c for c, name in enumerate(class_names) if name in base["per_class"]]
    if not n_resamples or not kept:
        return base
    rows = np.random.default_rng(seed).integers(0, len(labels), size=(n_resamples, len(labels)))
    per = np.stack([auroc_by_ranks(labels[rows, c], scores[rows, c]) for c in kept], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN resample rows are rare
        macro = np.nanmean(per, axis=1)
        base["ci95"] = [float(v) for v in np.nanpercentile(macro, [2.5, 97.5])]
        base["per_class_ci95"] = {
            class_names[c]: [float(v) for v in np.nanpercentile(per[:, j], [2.5, 97.5])]
            for j, c in enumerate(kept)
        }
    return base


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
