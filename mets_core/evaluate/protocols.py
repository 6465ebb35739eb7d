"""Evaluation protocols on score matrices (METHOD.md section 2), never tuned on fold 10.

B (benchmark, MERL): multilabel macro AUROC on fold 10 over the records labelled for a task, from
raw scores (cosines for zero-shot), with bootstrap intervals. A (METS): balanced five-class sets of
single-label fold-10 records, argmax over the five class scores; top-1 accuracy, macro P/R/F1 and
the one-vs-rest mean accuracy. Every method (zero-shot, probe, supervised) hands these functions
an (N, C) score matrix over a split's rows in `TASK_CLASSES[task]` order.

Guard: `select_prompt_set` chooses only on fold-9 rows and raises on anything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from mets_core.config import METSConfig
from mets_core.data.pairs import cached_signals, label_matrix
from mets_core.data.ptbxl import (
    TEST_FOLDS,
    VAL_FOLDS,
    PTBXLIndex,
    PTBXLRow,
    Split,
    split_rows,
)
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import DataError
from mets_core.evaluate.metrics import bootstrap_macro_auroc, multiclass_report
from mets_core.model.load import LoadedModel, encode_text
from mets_core.zeroshot.prompts import PromptSet
from mets_core.zeroshot.rank import center_embeddings

PROTOCOL_A_CLASSES: dict[str, tuple[str, ...]] = {  # METHOD.md section 2 (MERL names: no "_")
    "superclass": ("NORM", "CD", "MI", "HYP", "STTC"),
    "form": ("NDT", "NST", "ABQRS", "PVC", "STD"),
    "rhythm": ("SR", "AFIB", "STACH", "SARRH", "SBRAD"),
}
SELECTION_SPLIT = "val"  # fold 9: the only split anything may be chosen on


@dataclass(frozen=True)
class SplitData:
    """Preprocessed PTB-XL records of one named split: rows and signals (N, L, T), same order."""

    split: str
    rows: list[PTBXLRow]
    signals: npt.NDArray[np.float32]


def load_split(
    root: Path, index: PTBXLIndex, split: Split, config: METSConfig, cache_dir: str | None
) -> SplitData:
    """Rows of a named split and their model input (cached as .npy under `cache_dir`)."""
    rows = split_rows(index, split)
    if not rows:
        raise DataError(f"The {split} split of {root} has no records.")
    return SplitData(split, rows, cached_signals(root, rows, config, cache_dir))


def class_embeddings(
    model: LoadedModel, prompt_set: PromptSet, task: str, codes: Sequence[str]
) -> torch.Tensor:
    """(C, D) unit-norm class embeddings: mean of each class's prompt embeddings, renormalised."""
    prompts = [prompt_set.prompts(task, code) for code in codes]
    emb = encode_text(model, [p for group in prompts for p in group])
    chunks = torch.split(emb, [len(group) for group in prompts])
    classes = F.normalize(torch.stack([c.mean(dim=0) for c in chunks]), dim=-1)
    return center_embeddings(classes) if prompt_set.center else classes


def cosine_scores(ecg_emb: torch.Tensor, class_emb: torch.Tensor) -> npt.NDArray[np.float32]:
    """(N, D) ECG and (C, D) class embeddings (both unit-norm) -> (N, C) raw cosines."""
    return (ecg_emb.float() @ class_emb.float().t()).cpu().numpy()


def labelled(rows: list[PTBXLRow], task: str) -> npt.NDArray[np.bool_]:
    """(N,) mask of rows with at least one label of `task` (the benchmark's record set)."""
    return np.array([bool(row.labels.get(task)) for row in rows], dtype=bool)


def protocol_b(
    rows: list[PTBXLRow],
    scores: npt.NDArray[np.floating],
    task: str,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict:
    """Benchmark protocol on the rows labelled for `task`: macro AUROC, per class, 95% CIs.

    Args:
        rows: N records of one split. scores: (N, C) in `TASK_CLASSES[task]` order.
        task: "superclass", "subclass", "form" or "rhythm".
        n_resamples: bootstrap resamples. seed: bootstrap seed.

    Returns:
        `bootstrap_macro_auroc`'s dict; classes without a positive and a negative are "skipped".
    """
    keep = labelled(rows, task)
    kept_rows = [row for row, k in zip(rows, keep, strict=True) if k]
    truth = label_matrix(kept_rows, task)
    return bootstrap_macro_auroc(
        truth, np.asarray(scores)[keep], list(TASK_CLASSES[task]), n_resamples, seed
    )


@dataclass(frozen=True)
class BalancedSet:
    """A METS protocol-A set: class codes, chosen ecg_ids per class, and how many were eligible."""

    task: str
    codes: tuple[str, ...]
    ids: dict[str, list[int]]
    available: dict[str, int]
    seed: int
    per_class: int


def balanced_set(
    rows: list[PTBXLRow], task: str, per_class: int = 200, seed: int = 0
) -> BalancedSet:
    """Draw up to `per_class` single-label records per protocol-A class from fold-10 rows.

    Single-label: the record's only class of `task` is that class. Draws are without replacement
    with numpy's default_rng(seed); ids are returned ascending within each class.

    Raises:
        DataError: when a row is not from the test fold (held-out data only) or the task has
            no protocol-A classes.
    """
    if task not in PROTOCOL_A_CLASSES:
        raise DataError(f"Protocol A covers {', '.join(PROTOCOL_A_CLASSES)}; not {task!r}.")
    foreign = sorted({r.strat_fold for r in rows} - set(TEST_FOLDS))
    if foreign:
        raise DataError(
            f"Balanced sets are drawn from held-out fold 10 only; rows from folds {foreign} given."
        )
    codes = PROTOCOL_A_CLASSES[task]
    rng = np.random.default_rng(seed)
    ids, available = {}, {}
    for code in codes:
        pool = [r.ecg_id for r in rows if tuple(r.labels.get(task, ())) == (code,)]
        available[code] = len(pool)
        picks = rng.choice(len(pool), min(per_class, len(pool)), replace=False)
        ids[code] = sorted(pool[i] for i in picks)
    return BalancedSet(task, codes, ids, available, seed, per_class)


def multiclass_from_scores(
    truth: npt.NDArray[np.int64], scores: npt.NDArray[np.floating], codes: Sequence[str]
) -> dict:
    """Argmax over (N, K) class scores vs truth indices: `multiclass_report` + class counts."""
    predicted = np.asarray(scores).argmax(axis=1)
    report = multiclass_report(truth, predicted, list(codes))
    report["n_per_class"] = {c: int((truth == k).sum()) for k, c in enumerate(codes)}
    return report


def protocol_a(
    rows: list[PTBXLRow], scores: npt.NDArray[np.floating], task: str, chosen: BalancedSet
) -> dict:
    """METS protocol on a balanced set: argmax over its five classes' columns of `scores`.

    Args:
        rows: N records of the test split. scores: (N, C) in `TASK_CLASSES[task]` order.
        task: a protocol-A task. chosen: `balanced_set(rows, task, ...)`.
    """
    position = {row.ecg_id: i for i, row in enumerate(rows)}
    columns = [TASK_CLASSES[task].index(code) for code in chosen.codes]
    order = [(position[i], k) for k, code in enumerate(chosen.codes) for i in chosen.ids[code]]
    if not order:
        raise DataError(f"The balanced {task} set is empty: no single-label fold-10 records.")
    picked = np.asarray(scores)[np.array([p for p, _ in order])][:, columns]
    truth = np.array([k for _, k in order], dtype=np.int64)
    return multiclass_from_scores(truth, picked, chosen.codes)


def require_selection_rows(rows: list[PTBXLRow], split: str) -> None:
    """Guard: selection is allowed on fold 9 ("val") only; fold 10 (or 1-8) raises DataError."""
    folds = sorted({r.strat_fold for r in rows})
    if split != SELECTION_SPLIT or not set(folds) <= set(VAL_FOLDS):
        raise DataError(
            f"Prompts and checkpoints are chosen on fold 9 (--select-on val) only; refusing to "
            f"choose on split {split!r} (folds {folds}). Fold 10 is for the final report."
        )


def select_prompt_set(
    model: LoadedModel,
    ecg_emb: torch.Tensor,
    val: SplitData,
    prompt_sets: Sequence[PromptSet],
    tasks: Sequence[str],
) -> dict:
    """Choose the prompt set with the best mean fold-9 macro AUROC over `tasks` (no bootstrap).

    Args:
        model: the model whose text tower embeds the prompts.
        ecg_emb: (N, D) embeddings of `val.signals`.
        val: fold-9 data; any other split raises (see `require_selection_rows`).
        prompt_sets: candidates. tasks: PTB-XL tasks averaged for the criterion.

    Returns:
        {"chosen": name, "criterion": text, "split": "val", "fold9_macro_auroc": {set: {task:
        auroc, "mean": mean}}}.
    """
    require_selection_rows(val.rows, val.split)
    table = {}
    for prompt_set in prompt_sets:
        scores = {
            t: cosine_scores(ecg_emb, class_embeddings(model, prompt_set, t, TASK_CLASSES[t]))
            for t in tasks
        }
        per_task = {t: protocol_b(val.rows, scores[t], t, 0)["macro_auroc"] for t in tasks}
        per_task["mean"] = float(np.mean([v for v in per_task.values() if v is not None]))
        table[prompt_set.name] = per_task
    chosen = max(table, key=lambda name: table[name]["mean"])
    return {
        "chosen": chosen,
        "criterion": f"mean fold-9 zero-shot macro AUROC over {', '.join(tasks)}",
        "split": val.split,
        "fold9_macro_auroc": table,
    }
