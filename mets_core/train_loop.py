"""Training plumbing: distributed setup, fold-9 validation, and resumable state."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
import torch.distributed as dist
import torch.nn.functional as F

from mets_core.device import resolve_device
from mets_core.loss import clip_loss
from mets_core.metrics import macro_auroc
from mets_core.model import METSModel
from mets_core.prompts import TASK_LABELS
from mets_core.zero_shot import fill_prompt

VALIDATION_TASKS = ("superclass", "rhythm")  # issue 4: per-epoch fold-9 zero-shot AUROC


@dataclass
class DistributedContext:
    """rank / world size / device of this process; `wrap` applies DDP when world_size > 1."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        if self.world_size == 1:
            return module
        ids = [self.device.index] if self.device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)

    def close(self) -> None:
        if self.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()


def setup_distributed(device_spec: str) -> DistributedContext:
    """One process, or torchrun's env (RANK, WORLD_SIZE, LOCAL_RANK): nccl on GPU, gloo on CPU."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return DistributedContext(device=resolve_device(device_spec))
    device = resolve_device(device_spec)
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DistributedContext(dist.get_rank(), world_size, device)


@dataclass(frozen=True)
class ValidationSet:
    """Fold-9 data: signals (N, L, T); labels[task] (N, C) bool; prompts for the pair loss."""

    signals: npt.NDArray[np.float32]
    labels: dict[str, npt.NDArray[np.bool_]]
    class_names: dict[str, list[str]]
    texts: list[str]
    text_index: npt.NDArray[np.int64]


@torch.no_grad()
def embed_signals(
    model: METSModel, signals: np.ndarray, device: torch.device, batch_size: int = 256
) -> torch.Tensor:
    """(N, L, T) -> (N, D) unit-norm ECG embeddings, in eval mode (restores the previous mode)."""
    was_training = model.training
    model.eval()
    chunks = [
        model.encode_ecg(torch.from_numpy(signals[i : i + batch_size]).to(device))
        for i in range(0, len(signals), batch_size)
    ]
    model.train(was_training)
    return torch.cat(chunks)


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
        prompts = [fill_prompt(template, TASK_LABELS[task][name]) for name in names]
        scores = (ecg @ F.normalize(model.encode_text(prompts), dim=-1).t()).cpu().numpy()
        result[f"val_auroc_{task}"] = macro_auroc(val.labels[task], scores, names)["macro_auroc"]
    result["val_auroc"] = float(np.mean([result[f"val_auroc_{t}"] for t in VALIDATION_TASKS]))
    return result


def save_resume_state(out: str, model: METSModel, optimizer, state: dict) -> Path:
    """Everything to continue a run: tensors and plain values only (loadable weights_only)."""
    path = Path(f"{out}.resume.pt")
    torch.save(
        {
            "model": model.trainable_state_dict(),
            "optimizer": optimizer.state_dict(),
            "state": state,
        },
        path,
    )
    return path


def load_resume_state(path: str, model: METSModel, optimizer) -> dict:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model.load_trainable_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    return saved["state"]
