"""Baselines on the same data in the same run: linear probes and a supervised ResNet1d-18.

Linear probe: the ECG tower's pooled features (before the projection head), standardised, one
scikit-learn logistic regression per class (one-vs-rest), fitted on 1%, 10% or 100% of the fold
1-8 records labelled for the task (seeded draw); C is chosen on fold 9 from `PROBE_C_GRID`. A class
with a single value in the training subset gets a constant score (it cannot be learned).

Supervised ceiling: ResNet1d-18 (same tower config) plus one linear head over every task's classes,
multilabel BCE masked per task for records without a label of that task, Adam; the epoch with the
best mean fold-9 macro AUROC is kept. The trained head is cached under `cache_dir` (keyed by the
data, settings and seed), so re-evaluating a new METS checkpoint does not retrain it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from safetensors.torch import load_file, save_file
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

from mets_core.config import ECGEncoderConfig
from mets_core.data.pairs import label_matrix
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.evaluate.protocols import SplitData, labelled, protocol_b
from mets_core.model.ecg_encoder import ResNet1d

PROBE_FRACTIONS: tuple[float, ...] = (0.01, 0.1, 1.0)
PROBE_C_GRID: tuple[float, ...] = (0.01, 0.1, 1.0)  # inverse L2 strength, chosen on fold 9
DEFAULT_TOWER = ECGEncoderConfig()  # ResNet1d-18 as in METS (frozen dataclass: safe default)


@torch.no_grad()
def encoder_features(
    tower: nn.Module, signals: npt.NDArray[np.float32], device: torch.device, batch_size: int = 256
) -> npt.NDArray[np.float32]:
    """(N, L, T) -> (N, F) pooled tower features in eval mode (F = last stage width)."""
    tower.eval()
    chunks = [
        tower(torch.from_numpy(signals[i : i + batch_size]).to(device)).float().cpu().numpy()
        for i in range(0, len(signals), batch_size)
    ]
    return np.concatenate(chunks)


def probe_subset(n_labelled: int, fraction: float, seed: int) -> npt.NDArray[np.int64]:
    """Seeded draw of ceil(fraction * n) (at least 2) positions out of n labelled records."""
    size = min(n_labelled, max(2, math.ceil(fraction * n_labelled)))
    return np.sort(np.random.default_rng(seed).choice(n_labelled, size, replace=False))


def _fit_scores(x_fit, y_fit, x_eval: list[np.ndarray], c: float) -> list[np.ndarray]:
    """One logistic regression per class; (N_i, C) decision values for each array in x_eval."""
    out = [np.zeros((len(x), y_fit.shape[1]), np.float32) for x in x_eval]
    for k in range(y_fit.shape[1]):
        if len(np.unique(y_fit[:, k])) < 2:
            continue  # constant score: nothing to learn from this subset
        clf = LogisticRegression(C=c, max_iter=2000).fit(x_fit, y_fit[:, k])
        for scores, x in zip(out, x_eval, strict=True):
            scores[:, k] = clf.decision_function(x)
    return out


def linear_probe(
    features: dict[str, npt.NDArray[np.float32]],
    data: dict[str, SplitData],
    task: str,
    fraction: float,
    seed: int = 0,
) -> tuple[npt.NDArray[np.float32], dict]:
    """Fit a probe on a fraction of the fold 1-8 labels; C chosen on fold 9.

    Args:
        features: split ("train", "val", "test") -> (N, F) features of that split's rows.
        data: split -> SplitData (rows give the labels).
        task: PTB-XL task. fraction: share of labelled fold 1-8 records used. seed: draw seed.

    Returns:
        (N_test, C) decision values on the test rows (`TASK_CLASSES[task]` order), and info:
        {"n_train", "fraction", "C", "fold9_macro_auroc" per C}.
    """
    keep = np.flatnonzero(labelled(data["train"].rows, task))
    chosen = keep[probe_subset(len(keep), fraction, seed)]
    y_fit = label_matrix([data["train"].rows[i] for i in chosen], task)
    scaler = StandardScaler().fit(features["train"][chosen])
    x_fit, x_val, x_test = (
        scaler.transform(f) for f in (features["train"][chosen], features["val"], features["test"])
    )
    fold9, test_scores = {}, {}
    for c in PROBE_C_GRID:
        with threadpool_limits(1):  # one BLAS thread: 10-20x faster on a busy 2-core machine
            val_scores, test_scores[c] = _fit_scores(x_fit, y_fit, [x_val, x_test], c)
        fold9[c] = protocol_b(data["val"].rows, val_scores, task, 0)["macro_auroc"] or 0.0
    best = max(PROBE_C_GRID, key=lambda c: fold9[c])
    info = {
        "n_train": int(len(chosen)),
        "fraction": fraction,
        "C": best,
        "fold9_macro_auroc": {str(c): v for c, v in fold9.items()},
    }
    return test_scores[best], info


class SupervisedResNet(nn.Module):
    """ResNet1d-18 tower + one linear head over the concatenated classes of several tasks."""

    def __init__(self, tower: ECGEncoderConfig, n_outputs: int):
        super().__init__()
        self.tower = ResNet1d(tower)
        self.head = nn.Linear(self.tower.out_dim, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, T) -> (B, n_outputs) logits."""
        return self.head(self.tower(x))


def multitask_targets(rows, tasks: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(N, K) float targets over every task's classes and (N, K) mask (1 where task labelled)."""
    targets = np.concatenate([label_matrix(rows, t) for t in tasks], axis=1).astype(np.float32)
    mask = np.concatenate(
        [np.repeat(labelled(rows, t)[:, None], len(TASK_CLASSES[t]), 1) for t in tasks], axis=1
    )
    return targets, mask.astype(np.float32)


@torch.no_grad()
def supervised_scores(
    model: SupervisedResNet, data: SplitData, tasks: Sequence[str], device: torch.device
) -> dict[str, np.ndarray]:
    """task -> (N, C) logits of `data`'s rows, split from the joint head."""
    logits = encoder_features(model, data.signals, device)
    edges = np.cumsum([0] + [len(TASK_CLASSES[t]) for t in tasks])
    return {t: logits[:, edges[i] : edges[i + 1]] for i, t in enumerate(tasks)}


def _fold9_mean(model, val: SplitData, tasks, device) -> float:
    scores = supervised_scores(model, val, tasks, device)
    values = [protocol_b(val.rows, scores[t], t, 0)["macro_auroc"] for t in tasks]
    return float(np.mean([v for v in values if v is not None]))


def _train_epoch(model, optimizer, x, targets, mask, batch_size, generator, device) -> float:
    model.train()
    order = torch.randperm(len(x), generator=generator)
    total = 0.0
    for start in range(0, len(x), batch_size):
        batch = order[start : start + batch_size]
        logits = model(torch.from_numpy(x[batch.numpy()]).to(device))
        y, m = (torch.from_numpy(a[batch.numpy()]).to(device) for a in (targets, mask))
        loss = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none") * m
        loss = loss.sum() / m.sum().clamp(min=1.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(batch)
    return total / len(x)


def train_supervised(
    train: SplitData,
    val: SplitData,
    tasks: Sequence[str],
    epochs: int,
    seed: int,
    device: torch.device,
    tower: ECGEncoderConfig = DEFAULT_TOWER,
    batch_size: int = 64,
    lr: float = 1e-3,
) -> tuple[SupervisedResNet, dict]:
    """Train the supervised ceiling on folds 1-8; keep the epoch with the best fold-9 AUROC.

    `tower` is the METS model's ECG tower config, so the ceiling has the same architecture.

    Returns:
        The model at the chosen epoch (eval mode) and {"history": [...], "best_epoch": int}.
    """
    torch.manual_seed(seed)
    model = SupervisedResNet(tower, sum(len(TASK_CLASSES[t]) for t in tasks)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-3)
    targets, mask = multitask_targets(train.rows, tasks)
    generator = torch.Generator().manual_seed(seed)
    history, best, best_state = [], -1.0, None
    for epoch in range(1, epochs + 1):
        loss = _train_epoch(
            model, optimizer, train.signals, targets, mask, batch_size, generator, device
        )
        score = _fold9_mean(model, val, tasks, device)
        history.append({"epoch": epoch, "train_loss": loss, "fold9_macro_auroc_mean": score})
        if score > best:
            best, best_state = score, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    model.eval()
    best_epoch = max(history, key=lambda h: h["fold9_macro_auroc_mean"])["epoch"]
    return model, {"history": history, "best_epoch": best_epoch}


def cache_key(train: SplitData, val: SplitData, tasks, epochs: int, seed: int, tower) -> str:
    """Hash of everything the supervised result depends on (ids, tasks, epochs, seed, tower)."""
    ids = ([r.ecg_id for r in train.rows], [r.ecg_id for r in val.rows], train.signals.shape)
    return hashlib.sha256(repr((ids, list(tasks), epochs, seed, tower)).encode()).hexdigest()[:16]


def supervised_baseline(
    train: SplitData,
    val: SplitData,
    tasks: Sequence[str],
    epochs: int,
    seed: int,
    device: torch.device,
    cache_dir: str | None,
    tower: ECGEncoderConfig = DEFAULT_TOWER,
) -> tuple[SupervisedResNet, dict]:
    """`train_supervised`, or the cached result of the same data, tasks, epochs, seed, tower."""
    key = cache_key(train, val, tasks, epochs, seed, tower)
    path = Path(cache_dir or ".") / "supervised" / f"resnet1d_{key}"
    if cache_dir and path.with_suffix(".json").is_file():
        model = SupervisedResNet(tower, sum(len(TASK_CLASSES[t]) for t in tasks))
        model.load_state_dict(load_file(str(path.with_suffix(".safetensors"))), strict=True)
        info = json.loads(path.with_suffix(".json").read_text())
        return model.to(device).eval(), info | {"cached": str(path)}
    model, info = train_supervised(train, val, tasks, epochs, seed, device, tower)
    if cache_dir:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.contiguous().cpu() for k, v in model.state_dict().items()}
        save_file(state, str(path.with_suffix(".safetensors")))
        path.with_suffix(".json").write_text(json.dumps(info, indent=1))
    return model, info | {"cached": None}
