"""`python -m mets_core.train.loop` / `mets train`: METS pretraining on PTB-XL folds 1-8.

main(argv) = parse -> build data -> build model -> loop (train, validate on fold 9) -> save best.
Runs the same under torchrun (DistributedDataParallel: gloo on CPU, nccl on GPU; rank 0 writes).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm import tqdm

from mets_core.config import ECGEncoderConfig, METSConfig, TextEncoderConfig
from mets_core.data.pairs import TrainingPairs, add_texts, synthetic_pairs, with_variants
from mets_core.data.phrasings import report_variants
from mets_core.data.reports import fill_template
from mets_core.model.checkpoint import save_weights
from mets_core.model.device import autocast_context
from mets_core.model.loss import clip_loss
from mets_core.model.mets import METSModel
from mets_core.model.text_encoder import FrozenTextEncoder
from mets_core.train.augment import AUGMENT_PRESETS, augment_batch
from mets_core.train.averaging import WeightAverage
from mets_core.train.distributed import DistributedContext, setup_distributed
from mets_core.train.negatives import all_non_ecg_texts, non_ecg_batch
from mets_core.train.validation import ValidationSet, validate


@dataclass(frozen=True)
class TrainConfig:
    """Run settings (architecture lives in METSConfig). Every field is a CLI flag."""

    data: str | None = None  # PTB-XL folder (full release or the partial local copy)
    out: str = "weights/mets_resnet18"  # weights stem: <out>.safetensors + <out>.json
    epochs: int = 30
    steps: int | None = None  # stop after this many optimiser steps (smoke tests)
    batch_size: int = 64
    lr: float = 1e-3  # METS: Adam, lr 1e-3
    weight_decay: float = 1e-3  # METS: weight decay 1e-3
    seed: int = 0
    device: str = "auto"
    report_source: str = "generated"  # original | generated | both
    text_model: str | None = None  # HF id or folder; default all-MiniLM-L6-v2 (PyPI wheel)
    zero_shot_template: str = "{}"
    stage_widths: str = "64,128,256,512"  # ResNet-18 channels per stage (smaller for smoke tests)
    synthetic: int = 0  # >0: train on this many synthetic pairs (no data needed)
    cache_dir: str | None = None  # where preprocessed signals may be cached
    resume: str | None = None  # a <out>.resume.pt written by an earlier run
    rank_state_dir: str | None = None  # every rank writes its final parameters here (DDP check)
    select_on: str = "val_auroc_ma3"  # fold-9 criterion: 3-epoch mean of zero-shot AUROC
    decay_epochs: int = 0  # the last N epochs lower the LR by a half cosine to 1 % (0: constant)
    augment: str = "standard"  # augmentation preset: standard (shipped) | robust (issue 13 sites)
    phrasings: int = 0  # K > 1: each report in K wordings (itself + K-1), one drawn per epoch
    non_ecg_fraction: float = 0.0  # fraction of each batch replaced by non-ECG signals + texts
    ema_decay: float = 0.0  # > 0: validate and save an EMA of the weights (train.averaging)


def parse_args(argv: list[str] | None) -> TrainConfig:
    parser = argparse.ArgumentParser(prog="mets train", description=__doc__)
    for name, default in asdict(TrainConfig()).items():
        kind = type(default) if default is not None else str
        kind = int if name in ("steps",) else kind
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=default)
    return TrainConfig(**vars(parser.parse_args(argv)))


def build_model_config(cfg: TrainConfig) -> METSConfig:
    widths = tuple(int(w) for w in cfg.stage_widths.split(","))
    config = METSConfig(
        ecg=ECGEncoderConfig(stage_widths=widths), zero_shot_template=cfg.zero_shot_template
    )
    if cfg.text_model:
        config = replace(config, text=TextEncoderConfig(model_id=cfg.text_model))
    return config


# The synthetic reports' sentences as PHRASINGS keys (smoke tests of --phrasings).
_SYNTHETIC_CANONICAL = {
    "sinus rhythm": "SR",
    "normal ECG": "NORM",
    "atrial fibrillation": "AFIB",
    "sinus tachycardia": "STACH",
    "sinus bradycardia": "SBRAD",
}


def check_config(cfg: TrainConfig) -> None:
    """Refuse settings that cannot work, naming the valid ones."""
    if cfg.augment not in AUGMENT_PRESETS:
        raise SystemExit(f"mets train: --augment must be one of {', '.join(AUGMENT_PRESETS)}")
    if not 0.0 <= cfg.non_ecg_fraction <= 0.5:
        raise SystemExit("mets train: --non-ecg-fraction must lie in [0, 0.5]")
    if cfg.phrasings < 0:
        raise SystemExit("mets train: --phrasings must be 0 (off) or the number of wordings K")
    if not 0.0 <= cfg.ema_decay < 1.0:
        raise SystemExit("mets train: --ema-decay must be 0 (off) or lie in (0, 1), e.g. 0.99")


def build_data(cfg: TrainConfig, config: METSConfig) -> tuple[TrainingPairs, ValidationSet | None]:
    if cfg.synthetic:
        pairs = synthetic_pairs(cfg.synthetic, config.preprocess, cfg.seed)
        if cfg.phrasings > 1:
            reports = [pairs.texts[i] for i in pairs.text_index]
            variants = [
                report_variants(r, _SYNTHETIC_CANONICAL, cfg.phrasings, cfg.seed, int(i))
                for r, i in zip(reports, pairs.ecg_ids, strict=True)
            ]
            pairs = with_variants(pairs, variants)
        return pairs, None
    if not cfg.data:
        raise SystemExit("mets train: give --data PTB-XL_FOLDER or --synthetic N")
    from mets_core.train.data import build_train_and_val  # needs the PTB-XL reader

    return build_train_and_val(
        Path(cfg.data), config, cfg.report_source, cfg.cache_dir, cfg.phrasings, cfg.seed
    )


def lr_for_epoch(cfg: TrainConfig, epoch: int) -> float:
    """Learning rate of one epoch: constant, then a half cosine to 1 % over the last epochs.

    Depends only on the epoch, so a resumed run continues the same schedule.

    Example:
        >>> cfg = TrainConfig(epochs=10, decay_epochs=4, lr=1e-3)
        >>> [round(lr_for_epoch(cfg, e), 5) for e in (0, 5, 6, 9)]
        [0.001, 0.001, 0.00086, 1e-05]
    """
    start = cfg.epochs - cfg.decay_epochs  # first decayed epoch; the last one ends at 1 %
    if cfg.decay_epochs <= 0 or epoch < start:
        return cfg.lr
    progress = min((epoch - start + 1) / cfg.decay_epochs, 1.0)
    return cfg.lr * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def text_features(model: METSModel, texts: list[str], device: torch.device) -> torch.Tensor:
    """Run the frozen LM once over every distinct report prompt: (U, H) on `device`."""
    chunks = [model.text_encoder(texts[i : i + 256]) for i in range(0, len(texts), 256)]
    return torch.cat(chunks).to(device)


def train_one_epoch(
    tower: torch.nn.Module,
    core: METSModel,
    optimizer,
    pairs: TrainingPairs,
    features: torch.Tensor,
    cfg: TrainConfig,
    ctx: DistributedContext,
    state: dict,
    negative_texts: np.ndarray | None = None,
    average: WeightAverage | None = None,
) -> float:
    """One pass over this rank's shard; returns the mean loss. Updates state["step"].

    `tower` is the (possibly DDP-wrapped) ECG side of `core`; the text head trains through
    `core.project_text` on cached frozen-LM features, so the LM never runs here. With report
    variants, each record's text for this epoch is drawn from them; with `negative_texts` (the
    feature rows of `all_non_ecg_texts()`), a fraction of every batch becomes non-ECG signals.
    With `average`, every optimiser step also moves the weight average.
    """
    generator = torch.Generator().manual_seed(cfg.seed * 1000 + state["epoch"])
    order = torch.randperm(len(pairs), generator=generator)[ctx.rank :: ctx.world_size]
    text_index = pairs.text_index
    if pairs.variant_index is not None:  # one wording per record for this epoch
        k = pairs.variant_index.shape[1]
        choice = torch.randint(k, (len(pairs),), generator=generator).numpy()
        text_index = pairs.variant_index[np.arange(len(pairs)), choice]
    augment = AUGMENT_PRESETS[cfg.augment]
    fs_hz = core.config.preprocess.fs_hz
    batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
    batches = [b for b in batches if len(b) > 1]
    losses, start = [], time.perf_counter()
    bar = tqdm(batches, desc=f"epoch {state['epoch']}", disable=ctx.rank != 0, leave=False)
    core.train()
    for batch in bar:
        x = augment_batch(torch.from_numpy(pairs.signals[batch]), augment, fs_hz, generator)
        rows = torch.from_numpy(text_index[batch])
        if negative_texts is not None and cfg.non_ecg_fraction > 0:
            m = max(1, round(cfg.non_ecg_fraction * len(batch)))
            x[:m], kind = non_ecg_batch(m, x.shape[1], x.shape[2], fs_hz, generator)
            rows[:m] = torch.from_numpy(negative_texts)[kind]
        x = x.to(ctx.device)
        with autocast_context(ctx.device):
            ecg = tower(x)
            text = core.project_text(features[rows.to(features.device)])
            loss = clip_loss(ecg.float(), text.float(), core.scale())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if average is not None:
            average.update(core)
        losses.append(loss.item())
        state["step"] += 1
        seen = len(losses) * cfg.batch_size * ctx.world_size
        bar.set_postfix(
            loss=f"{loss.item():.3f}",
            lr=f"{optimizer.param_groups[0]['lr']:.1e}",
            samples_s=f"{seen / (time.perf_counter() - start):.1f}",
        )
        if cfg.steps is not None and state["step"] >= cfg.steps:
            break
    return float(np.mean(losses)) if losses else float("nan")


class ECGTower(torch.nn.Module):
    """The trainable ECG side as one module, so DDP wraps exactly what trains on ECGs."""

    def __init__(self, model: METSModel):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.encode_ecg(x)


def provenance(
    cfg: TrainConfig, pairs: TrainingPairs, history: list[dict], wall_s: float, argv: list[str]
) -> dict:
    return {
        "trained": True,
        "training_data": "synthetic" if cfg.synthetic else f"PTB-XL folds 1-8 ({cfg.data})",
        "training_folds": [] if cfg.synthetic else list(range(1, 9)),
        "selection": "best fold-9 "
        + cfg.select_on
        + (f" of the weights' EMA (decay {cfg.ema_decay})" if cfg.ema_decay else ""),
        "n_train_pairs": len(pairs),
        "n_distinct_reports": len(pairs.texts),
        "report_source": cfg.report_source,
        "command": "mets train " + " ".join(argv),
        "train_config": asdict(cfg),
        "seed": cfg.seed,
        "machine": f"{platform.node()} {platform.machine()} {platform.processor() or ''}".strip(),
        "torch": torch.__version__,
        "wall_time_s": round(wall_s, 1),
        "date": time.strftime("%Y-%m-%d"),
        "history": history,
    }


def smoothed(history: list[dict], key: str, window: int = 3) -> float | None:
    """Mean of `key` over the last `window` epochs: fold-9 AUROC swings ~0.05 epoch to epoch."""
    values = [h[key] for h in history[-window:] if h.get(key) is not None]
    return float(np.mean(values)) if values else None


def save_resume_state(
    out: str, model: METSModel, optimizer, state: dict, average: WeightAverage | None = None
) -> Path:
    """Everything to continue a run: tensors and plain values only (loadable weights_only)."""
    path = Path(f"{out}.resume.pt")
    saved = {"model": model.trainable_state_dict(), "optimizer": optimizer.state_dict()}
    if average is not None:
        saved["average"] = average.state_dict()
    torch.save(saved | {"state": state}, path)
    return path


def load_resume_state(
    path: str, model: METSModel, optimizer, average: WeightAverage | None = None
) -> dict:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model.load_trainable_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    if average is not None:  # a run resumed with --ema-decay that had none starts it here
        average.load_state_dict(saved.get("average", model.trainable_state_dict()))
    return saved["state"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)  # `mets train ...` passes what follows
    cfg = parse_args(argv)
    check_config(cfg)
    ctx = setup_distributed(cfg.device)
    torch.manual_seed(cfg.seed)
    config = build_model_config(cfg)
    pairs, val = build_data(cfg, config)
    negative_texts = None
    if cfg.non_ecg_fraction > 0:
        prompts = [fill_template(config.report_template, t) for t in all_non_ecg_texts()]
        pairs, negative_texts = add_texts(pairs, prompts)
    model = METSModel(config, FrozenTextEncoder(config.text)).to(ctx.device)
    lm_start = time.perf_counter()
    features = text_features(model, pairs.texts, ctx.device)
    lm_s = time.perf_counter() - lm_start  # the only time the frozen LM runs in training
    tower = ctx.wrap(ECGTower(model))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    average = WeightAverage(model, cfg.ema_decay) if cfg.ema_decay > 0 else None
    served = model if average is None else average.model  # what is validated and saved
    state = {"epoch": 0, "step": 0, "best": -float("inf"), "history": []}
    if cfg.resume:
        state = load_resume_state(cfg.resume, model, optimizer, average)
    start = time.perf_counter()
    while state["epoch"] < cfg.epochs and (cfg.steps is None or state["step"] < cfg.steps):
        for group in optimizer.param_groups:
            group["lr"] = lr_for_epoch(cfg, state["epoch"])
        epoch_start = time.perf_counter()
        loss = train_one_epoch(
            tower, model, optimizer, pairs, features, cfg, ctx, state, negative_texts, average
        )
        epoch_s = time.perf_counter() - epoch_start
        metrics = {
            "epoch": state["epoch"],
            "train_loss": loss,
            "lr": optimizer.param_groups[0]["lr"],
            "epoch_s": round(epoch_s, 1),
            "samples_per_s": round(len(pairs) / epoch_s, 1),
            "lm_s_once_before_training": round(lm_s, 2),
            **validate(served, val, ctx),
        }
        state["history"].append(metrics)
        metrics["val_auroc_ma3"] = smoothed(state["history"], "val_auroc")
        state["epoch"] += 1
        score = metrics.get(cfg.select_on)
        score = -loss if score is None else score
        if ctx.rank == 0:
            print(json.dumps(metrics), flush=True)
            if score > state["best"]:
                state["best"] = score
                save_weights(
                    cfg.out,
                    served.trainable_state_dict(),
                    config,
                    provenance(cfg, pairs, state["history"], time.perf_counter() - start, argv),
                )
            save_resume_state(cfg.out, model, optimizer, state, average)
    if cfg.rank_state_dir:
        Path(cfg.rank_state_dir).mkdir(parents=True, exist_ok=True)
        save_file(model.trainable_state_dict(), f"{cfg.rank_state_dir}/rank{ctx.rank}.safetensors")
    ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
