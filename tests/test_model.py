"""The model: shapes, unit norm, frozen LM stays frozen, checkpoint round trip, tamper refusal."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mets_core.errors import WeightsError
from mets_core.model.checkpoint import read_weights, save_weights
from mets_core.model.load import encode_ecg, encode_text, load_model
from mets_core.signal.preprocess import preprocess_for_model


def test_embeddings_have_shape_and_unit_norm(tiny_model):
    x = torch.randn(3, 12, tiny_model.config.preprocess.window_samples)
    emb = tiny_model.module.encode_ecg(x)
    assert emb.shape == (3, tiny_model.config.proj_dim)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(3), atol=1e-5)
    text = encode_text(tiny_model, ["sinus rhythm", "atrial fibrillation"])
    assert text.shape == (2, tiny_model.config.proj_dim)
    assert torch.allclose(text.norm(dim=-1), torch.ones(2), atol=1e-5)


def test_encoder_accepts_other_lengths(tiny_model):
    emb = tiny_model.module.encode_ecg(torch.randn(1, 12, 2500))
    assert emb.shape == (1, tiny_model.config.proj_dim)


def test_frozen_lm_stays_in_eval_and_gets_no_gradient(tiny_config):
    model = load_model(random_init=True, config=tiny_config, device="cpu").module
    model.train()
    assert model.ecg_encoder.training
    assert not model.text_encoder.training and not model.text_encoder.lm.training
    assert not any(p.requires_grad for p in model.text_encoder.parameters())
    ecg = model.encode_ecg(torch.randn(2, 12, 1000))
    text = model.encode_text(["sinus rhythm", "normal ECG"])
    (ecg @ text.t()).sum().backward()
    assert all(p.grad is None for p in model.text_encoder.parameters())
    assert model.text_projection.weight.grad is not None
    assert model.ecg_encoder.stem[0].weight.grad is not None


def test_frozen_lm_is_deterministic_in_train_mode(tiny_config):
    model = load_model(random_init=True, config=tiny_config, device="cpu").module.train()
    first = model.text_encoder(["left bundle branch block"])
    second = model.text_encoder(["left bundle branch block"])
    assert torch.equal(first, second)  # dropout would make these differ


def test_checkpoint_round_trip_gives_identical_outputs(tiny_model, tiny_weights, ecg_12_lead):
    loaded = load_model(tiny_weights, device="cpu")
    windows = preprocess_for_model(ecg_12_lead, tiny_model.config.preprocess).windows
    assert torch.equal(encode_ecg(loaded, windows), encode_ecg(tiny_model, windows))
    # the checkpoint holds the text head, not the frozen LM: project the same LM features (the
    # session's text cache may hold these texts from a batch with other padding, ~1e-8 away)
    features = tiny_model.module.text_encoder(["sinus rhythm", "left bundle branch block"])
    assert torch.equal(
        loaded.module.project_text(features), tiny_model.module.project_text(features)
    )
    assert loaded.config == tiny_model.config
    assert not loaded.weights.trained


def test_tampered_weights_are_refused(tiny_model, tmp_path):
    stem = tmp_path / "w"
    save_weights(stem, tiny_model.module.trainable_state_dict(), tiny_model.config, {})
    data = bytearray((tmp_path / "w.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "w.safetensors").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="checksum"):
        read_weights(stem)


def test_config_mismatch_is_refused(tiny_model, tmp_path):
    stem = tmp_path / "w"
    save_weights(stem, tiny_model.module.trainable_state_dict(), tiny_model.config, {})
    sidecar = json.loads((tmp_path / "w.json").read_text())
    sidecar["config"]["ecg"]["unknown_field"] = 1
    (tmp_path / "w.json").write_text(json.dumps(sidecar))
    with pytest.raises(WeightsError, match="unknown keys"):
        read_weights(stem)


def test_missing_weights_say_what_is_expected(tmp_path):
    with pytest.raises(WeightsError, match="missing"):
        load_model(tmp_path / "nothing", device="cpu")


def test_text_cache_skips_the_lm_on_repeat(tiny_config):
    model = load_model(random_init=True, config=tiny_config, device="cpu")
    first = encode_text(model, ["sinus rhythm", "normal ECG"])
    calls = model.text_cache.lm_calls
    second = encode_text(model, ["normal ECG", "sinus rhythm"])
    assert model.text_cache.lm_calls == calls
    assert torch.equal(first, second.flip(0))


def test_state_dict_excludes_the_frozen_lm(tiny_model):
    keys = tiny_model.module.trainable_state_dict().keys()
    assert not any(k.startswith("text_encoder.") for k in keys)
    assert "logit_scale" in keys and np.isclose(tiny_model.temperature, 0.07, atol=1e-4)
