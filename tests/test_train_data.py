"""Training data: report deduplication, pair assembly checks, and the augmentations' properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mets_core.data.pairs import build_pairs, pair_texts
from mets_core.train.augment import AugmentConfig, augment_batch


def test_identical_prompts_share_one_text():
    texts, index = pair_texts(["a", "b", "a", "a"])
    assert texts == ["a", "b"] and index.tolist() == [0, 1, 0, 0]


def test_pairs_refuse_mismatched_lengths():
    with pytest.raises(ValueError):
        build_pairs([], np.zeros((1, 12, 10), np.float32), ["x"], "{}")


def _batch(seed: int = 0) -> torch.Tensor:
    return torch.randn(64, 12, 1000, generator=torch.Generator().manual_seed(seed)) + 3.0


def test_augmentation_keeps_shape_and_never_drops_every_lead():
    out = augment_batch(_batch(), AugmentConfig(), 100.0, torch.Generator().manual_seed(1))
    assert out.shape == (64, 12, 1000)
    leads_alive = (out.abs().sum(dim=2) > 0).sum(dim=1)
    assert (leads_alive >= 1).all()
    assert (leads_alive < 12).any()  # lead dropout happened somewhere in 64 samples


def test_crops_zero_the_outside_and_keep_at_least_the_minimum():
    config = AugmentConfig(crop_p=1.0, lead_drop_p=0.0, few_leads_p=0.0, noise_std_mv=0.0)
    out = augment_batch(_batch(), config, 100.0, torch.Generator().manual_seed(2))
    kept_samples = (out.abs().sum(dim=1) > 0).sum(dim=1)
    assert (kept_samples >= config.min_keep_s * 100 - 1).all() and (kept_samples < 1000).any()


def test_augmentation_is_reproducible_from_the_seed():
    first = augment_batch(_batch(), AugmentConfig(), 100.0, torch.Generator().manual_seed(3))
    second = augment_batch(_batch(), AugmentConfig(), 100.0, torch.Generator().manual_seed(3))
    assert torch.equal(first, second)


def test_non_ecg_negatives_have_the_model_shape_and_a_no_ecg_text():
    from mets_core.train.negatives import NON_ECG_KINDS, all_non_ecg_texts, non_ecg_batch

    signals, text = non_ecg_batch(200, 12, 1000, 100.0, torch.Generator().manual_seed(0))
    texts = all_non_ecg_texts()
    assert signals.shape == (200, 12, 1000) and signals.dtype == torch.float32
    assert torch.isfinite(signals).all() and signals.abs().max() <= 10.0
    assert all("no ECG" in texts[i] for i in text.tolist())
    kinds = {texts[i] for i in text.tolist()}
    assert len(kinds) >= 2 * len(NON_ECG_KINDS) - 2  # every kind and nearly every text drawn
    flat = torch.tensor([texts[i].startswith(("no ECG", "flat")) for i in text.tolist()])
    assert signals[flat].abs().amax() < 0.05  # flat lines: zeros or a few uV of noise
    assert signals[~flat].abs().amax(dim=(1, 2)).median() > 0.05


def test_non_ecg_negatives_are_seeded():
    from mets_core.train.negatives import non_ecg_batch

    first = non_ecg_batch(8, 12, 1000, 100.0, torch.Generator().manual_seed(5))
    second = non_ecg_batch(8, 12, 1000, 100.0, torch.Generator().manual_seed(5))
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])


def test_added_texts_are_appended_once_and_indexed():
    from mets_core.config import PreprocessConfig
    from mets_core.data.pairs import add_texts, synthetic_pairs

    pairs = synthetic_pairs(8, PreprocessConfig())
    extended, index = add_texts(pairs, ["no ECG signal.", pairs.texts[0], "no ECG signal."])
    assert extended.texts[: len(pairs.texts)] == pairs.texts
    expected = ["no ECG signal.", pairs.texts[0], "no ECG signal."]
    assert [extended.texts[i] for i in index] == expected
    assert len(extended.texts) == len(pairs.texts) + 1
