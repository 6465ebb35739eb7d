"""Training data: ECG/report pairs as tensors, and the augmentations. Training and evaluation only.

Signals go through the same `preprocess_for_model` as the app. Reports are turned into the
pretraining prompt, and each distinct prompt is run through the frozen LM once (see train.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from tqdm import tqdm

from mets_core.config import PreprocessConfig
from mets_core.data.ptbxl import PTBXLRow, read_ptbxl_signal
from mets_core.reports import fill_template
from mets_core.signal import preprocess_for_model


@dataclass(frozen=True)
class TrainingPairs:
    """N ECGs and their report prompts.

    Attributes:
        ecg_ids: (N,) record ids (PTB-XL ecg_id; synthetic: 0..N-1).
        signals: float32 (N, L, T) preprocessed model windows.
        texts: U distinct prompt texts.
        text_index: (N,) int64, row i's prompt is texts[text_index[i]].
    """

    ecg_ids: npt.NDArray[np.int64]
    signals: npt.NDArray[np.float32]
    texts: list[str]
    text_index: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ecg_ids)


def pair_texts(prompts: list[str]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Deduplicate prompts: (distinct texts, index of each input prompt into them)."""
    texts = list(dict.fromkeys(prompts))
    lookup = {text: i for i, text in enumerate(texts)}
    return texts, np.array([lookup[p] for p in prompts], dtype=np.int64)


def preprocess_rows(
    root: Path, rows: list[PTBXLRow], config: PreprocessConfig, progress: bool = True
) -> npt.NDArray[np.float32]:
    """Read and preprocess PTB-XL records: (N, L, T), first model window of each (10 s records)."""
    fs_hz = 100 if config.fs_hz <= 100 else 500
    signals = np.empty((len(rows), len(config.lead_names), config.window_samples), np.float32)
    for i, row in enumerate(tqdm(rows, desc=f"reading PTB-XL {fs_hz} Hz", disable=not progress)):
        signals[i] = preprocess_for_model(read_ptbxl_signal(root, row, fs_hz), config).windows[0]
    return signals


def build_pairs(
    rows: list[PTBXLRow], signals: npt.NDArray[np.float32], reports: list[str], template: str
) -> TrainingPairs:
    """Assemble pairs; raises ValueError if ids, signals and reports disagree in length."""
    if not len(rows) == len(signals) == len(reports):
        raise ValueError(f"{len(rows)} rows, {len(signals)} signals, {len(reports)} reports")
    texts, text_index = pair_texts([fill_template(template, r) for r in reports])
    ids = np.array([row.ecg_id for row in rows], dtype=np.int64)
    return TrainingPairs(ids, signals, texts, text_index)


_SYNTHETIC_REPORTS = (
    "sinus rhythm. normal ECG.",
    "atrial fibrillation.",
    "sinus tachycardia.",
    "sinus bradycardia.",
)


def synthetic_pairs(n: int, config: PreprocessConfig, seed: int = 0) -> TrainingPairs:
    """Tiny learnable toy data for smoke tests: the report names the rhythm's rate band."""
    rng = np.random.default_rng(seed)
    t = np.arange(config.window_samples) / config.fs_hz
    kinds = rng.integers(0, len(_SYNTHETIC_REPORTS), n)
    rate_hz = np.array([1.2, 1.6, 2.2, 0.8])[kinds] + rng.normal(0, 0.05, n)
    wave = np.sin(2 * np.pi * rate_hz[:, None] * t[None]) ** 15  # spiky periodic "beats"
    signals = wave[:, None, :] * rng.uniform(0.5, 1.5, (n, len(config.lead_names), 1))
    signals += rng.normal(0, 0.05, signals.shape)
    texts, text_index = pair_texts([_SYNTHETIC_REPORTS[k] for k in kinds])
    return TrainingPairs(np.arange(n), signals.astype(np.float32), texts, text_index)


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentations that make the model tolerate what users upload (all probabilities per ECG)."""

    crop_p: float = 0.5  # keep a random 5-10 s stretch, zero the rest (short uploads are padded)
    min_keep_s: float = 5.0
    scale_range: tuple[float, float] = (0.8, 1.25)  # amplitude gain factor
    noise_std_mv: float = 0.03  # max Gaussian noise sigma, mV
    lead_drop_p: float = 0.5  # drop a random subset of leads (zero rows, as the app's policy)
    few_leads_p: float = 0.15  # keep only 1-2 leads (MIT-BIH-like inputs)


def augment_batch(
    x: torch.Tensor, cfg: AugmentConfig, fs_hz: float, generator: torch.Generator
) -> torch.Tensor:
    """(B, L, T) -> augmented copy: crop-and-pad, amplitude scaling, noise, lead dropout."""
    b, n_leads, n_samples = x.shape
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    x = x.clone()
    keep = (cfg.min_keep_s + rand(b) * (n_samples / fs_hz - cfg.min_keep_s)) * fs_hz
    crop = rand(b) < cfg.crop_p
    start = (rand(b) * (n_samples - keep)).long()
    positions = torch.arange(n_samples)[None]
    inside = (positions >= start[:, None]) & (positions < (start + keep.long())[:, None])
    x = torch.where(crop[:, None, None] & ~inside[:, None, :], torch.zeros(()), x)
    low, high = cfg.scale_range
    x = x * (low + rand(b, 1, 1) * (high - low))
    x = x + torch.randn(x.shape, generator=generator) * rand(b, 1, 1) * cfg.noise_std_mv
    lead_mask = (rand(b, n_leads) > rand(b, 1) * 0.75) | (rand(b, 1) > cfg.lead_drop_p)
    few = rand(b) < cfg.few_leads_p
    few_mask = torch.zeros(b, n_leads, dtype=torch.bool)
    few_mask[torch.arange(b), (rand(b) * n_leads).long()] = True
    few_mask[torch.arange(b), (rand(b) * n_leads).long()] = True
    lead_mask = torch.where(few[:, None], few_mask, lead_mask)
    lead_mask[lead_mask.sum(1) == 0, 1] = True  # never drop every lead: keep II
    return x * lead_mask[:, :, None]
