"""CLIP loss properties: aligned beats shuffled, symmetric, equals manual cross-entropy."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mets_core.model.loss import clip_loss


def _pairs(seed: int = 0, n: int = 8, d: int = 16):
    generator = torch.Generator().manual_seed(seed)
    ecg = F.normalize(torch.randn(n, d, generator=generator), dim=-1)
    text = F.normalize(ecg + 0.1 * torch.randn(n, d, generator=generator), dim=-1)
    return ecg, text


def test_aligned_pairs_score_lower_than_shuffled():
    ecg, text = _pairs()
    scale = torch.tensor(1 / 0.07)
    assert clip_loss(ecg, text, scale) < clip_loss(ecg, text.roll(1, dims=0), scale)


def test_loss_is_symmetric():
    ecg, text = _pairs(1)
    scale = torch.tensor(10.0)
    assert torch.isclose(clip_loss(ecg, text, scale), clip_loss(text, ecg, scale))


def test_equals_manual_cross_entropy():
    ecg, text = _pairs(2)
    scale = torch.tensor(5.0)
    logits = scale * ecg @ text.t()
    log_p_rows = logits.log_softmax(dim=1).diag()
    log_p_cols = logits.log_softmax(dim=0).diag()
    manual = -(log_p_rows.mean() + log_p_cols.mean()) / 2
    assert torch.isclose(clip_loss(ecg, text, scale), manual, atol=1e-6)


def test_duplicate_reports_equal_multi_positive_targets():
    """With identical report rows, vanilla CLIP equals the multi-positive loss (see loss.py)."""
    ecg, text = _pairs(3, n=4)
    text = torch.stack([text[0], text[0], text[2], text[3]])  # records 0 and 1 share a report
    scale = torch.tensor(10.0)
    logits = scale * ecg @ text.t()
    same = torch.tensor([0, 0, 1, 2])
    targets = (same[:, None] == same[None, :]).float()
    targets = targets / targets.sum(dim=1, keepdim=True)
    multi = (F.cross_entropy(logits, targets) + F.cross_entropy(logits.t(), targets)) / 2
    assert torch.isclose(clip_loss(ecg, text, scale), multi, atol=1e-6)
