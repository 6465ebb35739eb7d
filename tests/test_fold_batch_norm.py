"""Inference with batch norm folded into the convolutions: same embeddings, never stale weights."""

from __future__ import annotations

import torch
from torch import nn

from mets_core.model.checkpoint import DEFAULT_WEIGHTS
from mets_core.model.ecg_encoder import fold_batch_norm
from mets_core.model.load import load_model


def _with_trained_looking_statistics(tiny_config, seed: int):
    """A random-init model whose batch norms hold non-trivial statistics and affine weights (a
    fresh model's are 0 / 1, which folding would reproduce even if it were wrong)."""
    model = load_model(random_init=True, config=tiny_config, device="cpu", seed=seed).module
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm1d):
                shape = module.running_mean.shape
                module.running_mean.copy_(torch.randn(shape, generator=generator))
                module.running_var.copy_(torch.rand(shape, generator=generator) + 0.5)
                module.weight.copy_(torch.randn(shape, generator=generator))
                module.bias.copy_(torch.randn(shape, generator=generator))
    return model


def _unfolded_embedding(model, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return nn.functional.normalize(model.ecg_projection(model.ecg_encoder.eval()(x)), dim=-1)


def test_folded_tower_has_no_batch_norm_and_gives_the_same_embeddings(tiny_config):
    model = _with_trained_looking_statistics(tiny_config, seed=1)
    x = torch.randn(4, 12, 1000)
    expected = _unfolded_embedding(model, x)
    model.prepare_for_inference()
    (folded,) = model._inference_tower
    assert not any(isinstance(m, nn.BatchNorm1d) for m in folded.modules())
    assert not any(p.requires_grad for p in folded.parameters())
    with torch.inference_mode():
        torch.testing.assert_close(model.encode_ecg(x), expected, atol=1e-5, rtol=0)


def test_folding_leaves_the_weights_file_contents_alone(tiny_config):
    model = _with_trained_looking_statistics(tiny_config, seed=2)
    before = {k: v.clone() for k, v in model.trainable_state_dict().items()}
    after = model.prepare_for_inference().trainable_state_dict()
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)


def test_training_mode_and_new_weights_drop_the_folded_tower(tiny_config):
    model = _with_trained_looking_statistics(tiny_config, seed=3).prepare_for_inference()
    model.train()
    assert model._inference_tower == ()
    other = _with_trained_looking_statistics(tiny_config, seed=4)
    model.prepare_for_inference()
    model.load_trainable_state_dict(other.trainable_state_dict())
    model.eval()
    x = torch.randn(2, 12, 1000)
    with torch.inference_mode():  # the new weights' embedding, not one folded from the old ones
        torch.testing.assert_close(
            model.encode_ecg(x), _unfolded_embedding(other, x), atol=1e-5, rtol=0
        )


def test_moving_the_model_moves_the_folded_tower(tiny_config):
    model = _with_trained_looking_statistics(tiny_config, seed=5).prepare_for_inference()
    model.to(torch.float64)
    (folded,) = model._inference_tower
    assert all(p.dtype == torch.float64 for p in folded.parameters())


def test_load_model_serves_the_folded_towers_of_the_shipped_ensemble():
    model = load_model(DEFAULT_WEIGHTS, device="cpu")
    members = getattr(model.module, "members", [model.module])
    assert all(len(member._inference_tower) == 1 for member in members)
    x = torch.randn(2, 12, 1000)
    with torch.inference_mode():
        served = model.module.encode_ecg(x)
        unfolded = torch.cat([_unfolded_embedding(m, x) for m in members], dim=-1)
    unfolded = unfolded / len(members) ** 0.5
    assert (served - unfolded).abs().max() < 1e-5


def test_fold_batch_norm_returns_a_copy(tiny_config):
    model = _with_trained_looking_statistics(tiny_config, seed=6)
    folded = fold_batch_norm(model.ecg_encoder)
    assert folded is not model.ecg_encoder
    assert any(isinstance(m, nn.BatchNorm1d) for m in model.ecg_encoder.modules())
