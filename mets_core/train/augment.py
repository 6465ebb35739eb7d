"""Augmentations that make the model tolerate what users upload (training only)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


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
