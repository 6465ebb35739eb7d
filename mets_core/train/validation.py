"""Fold-9 validation during training: contrastive loss and zero-shot macro AUROC per epoch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from mets_core.evaluate.metrics import macro_auroc
from mets_core.model.embed import embed_signals
from mets_core.model.loss import clip_loss
from mets_core.model.mets import METSModel
from mets_core.train.distributed import DistributedContext
from mets_core.zeroshot.labels import task_labels
from mets_core.zeroshot.rank import fill_prompt

VALIDATION_TASKS = ("superclass", "rhythm")  # issue 4: per-epoch fold-9 zero-shot AUROC


@dataclass(frozen=True)
class ValidationSet:
    """Fold-9 data: signals (N, L, T); labels[task] (N, C) bool; prompts for the pair loss."""

    signals: npt.NDArray[np.float32]
    labels: dict[str, npt.NDArray[np.bool_]]
    class_names: dict[str, list[str]]
    texts: list[str]
    text_index: npt.NDArray[np.int64]


@torch.no_grad()
def validate(model: METSModel, val: ValidationSet | None, ctx: DistributedContext) -> dict:
    """Fold-9 contrastive loss and zero-shot macro AUROC (superclass, rhythm); {} without data."""
    if val is None or ctx.rank != 0:
        return {}
    ecg = embed_signals(model, val.signals, ctx.device)
    texts = model.encode_text(val.texts)[torch.from_numpy(val.text_index).to(ctx.device)]
    result = {"val_loss": float(clip_loss(ecg, texts, model.scale()))}
    template = model.config.zero_shot_template
    for task in VALIDATION_TASKS:
        names = val.class_names[task]
        prompts = [fill_prompt(template, task_labels()[task][name]) for name in names]
        scores = (ecg @ F.normalize(model.encode_text(prompts), dim=-1).t()).cpu().numpy()
        result[f"val_auroc_{task}"] = macro_auroc(val.labels[task], scores, names)["macro_auroc"]
    result["val_auroc"] = float(np.mean([result[f"val_auroc_{t}"] for t in VALIDATION_TASKS]))
    return result
