"""The caches and shortcuts that make a warm ranking cheap (issue 14 part 5) give the same numbers
as the plain computation, are tied to one model or one reference bank, and hold text only."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from conftest import simulate_12_lead
from scipy.signal import get_window, welch

import mets_core
from mets_core.model.load import load_model
from mets_core.model.lru import LRUCache
from mets_core.model.reference_bank import ReferenceBank
from mets_core.signal.quality import welch_power
from mets_core.zeroshot.rank import _label_embeddings, build_label_embeddings
from mets_core.zeroshot.reference import bank_cosines, reference_percentiles

CANDIDATES = ["sinus rhythm", "atrial fibrillation", "left bundle branch block"]


def _bank(dim: int, n: int = 300, seed: int = 0) -> ReferenceBank:
    """An in-memory bank of n random unit-norm embeddings (no file, no labels of note)."""
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    labels = tuple({"superclass": ("NORM",)} for _ in range(n))
    return ReferenceBank(
        rows, np.arange(n), np.ones(n, dtype=np.int64), labels, ("sinus rhythm",) * n, (None,) * n
    )


@pytest.fixture
def model_with_bank(tiny_config):  # noqa: ANN201
    model = load_model(random_init=True, config=tiny_config, device="cpu", seed=1)
    return replace(model, reference=_bank(tiny_config.embedding_dim))


def test_lru_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache: LRUCache[int] = LRUCache(max_entries=2)
    assert cache.get_or_compute("a", lambda: 1) == 1
    assert cache.get_or_compute("b", lambda: 2) == 2
    assert cache.get_or_compute("a", lambda: 99) == 1  # hit: "a" is now the most recent
    cache.get_or_compute("c", lambda: 3)  # drops "b"
    assert cache.keys() == ["a", "c"] and cache.misses == 3
    assert cache.get_or_compute("b", lambda: 4) == 4  # "b" was dropped: computed again


def test_label_embeddings_are_cached_and_equal_the_plain_computation(tiny_model) -> None:
    template = tiny_model.config.zero_shot_template
    for center in (False, True):
        first = build_label_embeddings(tiny_model, CANDIDATES, center=center)
        misses = tiny_model.text_embeddings.misses
        again = build_label_embeddings(tiny_model, list(CANDIDATES), [template], center=center)
        assert tiny_model.text_embeddings.misses == misses  # served from the cache
        plain = _label_embeddings(tiny_model, CANDIDATES, [template], center)
        torch.testing.assert_close(again, plain, rtol=0, atol=1e-6)
        torch.testing.assert_close(first, again, rtol=0, atol=0)
    other_order = build_label_embeddings(tiny_model, CANDIDATES[::-1])
    plain = build_label_embeddings(tiny_model, CANDIDATES)
    torch.testing.assert_close(other_order, plain.flip(0), rtol=0, atol=1e-6)


def test_other_weights_never_hit_the_cache(tiny_config) -> None:
    a = load_model(random_init=True, config=tiny_config, device="cpu", seed=1)
    b = load_model(random_init=True, config=tiny_config, device="cpu", seed=2)
    emb_a = build_label_embeddings(a, CANDIDATES)
    assert a.text_embeddings is not b.text_embeddings
    emb_b = build_label_embeddings(b, CANDIDATES)
    assert not torch.allclose(emb_a, emb_b)
    # Even a model sharing a's cache object (dataclasses.replace) but holding b's module:
    swapped = replace(a, module=b.module)
    assert swapped.text_embeddings is a.text_embeddings
    torch.testing.assert_close(build_label_embeddings(swapped, CANDIDATES), emb_b)


def test_caches_hold_text_only_whatever_ecg_is_ranked(model_with_bank) -> None:
    model = model_with_bank
    first = mets_core.rank(model, simulate_12_lead(seed=0), CANDIDATES)
    label_keys = model.text_embeddings.keys()
    bank_cache = model.reference.text_cosines
    stored = {key: bank_cache.get_or_compute(key, lambda: None).copy() for key in bank_cache.keys()}
    second = mets_core.rank(model, simulate_12_lead(seed=5, heart_rate_bpm=110), CANDIDATES)
    assert [r.cosine for r in first] != [r.cosine for r in second]  # two different ECGs ...
    assert model.text_embeddings.keys() == label_keys  # ... add nothing to either cache
    assert sorted(bank_cache.keys()) == sorted(stored)
    for key, values in stored.items():
        np.testing.assert_array_equal(bank_cache.get_or_compute(key, lambda: None), values)
    for key in label_keys:  # (module, labels, templates, center): text and the model only
        _, labels, templates, center = key
        assert labels == tuple(CANDIDATES) and all(isinstance(t, str) for t in templates)
        assert isinstance(center, bool)
    assert all(
        isinstance(key, bytes) and len(key) == 4 * model.config.embedding_dim for key in stored
    )


def test_a_new_bank_does_not_reuse_another_banks_text_cosines(model_with_bank) -> None:
    label = build_label_embeddings(model_with_bank, CANDIDATES)
    cosines = np.zeros(len(CANDIDATES), dtype=np.float32)
    before = reference_percentiles(model_with_bank.reference, label, cosines)
    other = _bank(model_with_bank.config.embedding_dim, seed=7)
    assert len(other.text_cosines) == 0
    after = reference_percentiles(other, label, cosines)
    assert len(other.text_cosines) == len({row.tobytes() for row in label.numpy()})
    assert not np.array_equal(before, after)


def test_percentiles_equal_a_plain_count_including_ties(model_with_bank) -> None:
    bank = model_with_bank.reference
    label = build_label_embeddings(model_with_bank, CANDIDATES).numpy()
    rng = np.random.default_rng(0)
    for row, text in enumerate(label):
        column = bank_cosines(bank, text)
        # this ECG's cosine: random values, and values equal to reference cosines (ties)
        probes = np.concatenate([rng.uniform(-1, 1, 20), column[:20], [-1.0, 1.0]])
        for probe in probes.astype(np.float32):
            cosines = np.zeros(len(CANDIDATES), dtype=np.float32)
            cosines[row] = probe
            got = reference_percentiles(bank, label, cosines)[row]
            expected = 100.0 * np.count_nonzero(column < probe) / len(column)
            assert got == expected
    np.testing.assert_allclose(bank_cosines(bank, label[0]), bank.embeddings @ label[0], atol=1e-6)


@pytest.mark.parametrize(
    ("fs_hz", "n_samples"), [(100.0, 1000), (257.0, 999), (360.0, 3601), (1000.0, 10000)]
)
def test_welch_power_is_scipys_welch_up_to_its_scale(fs_hz: float, n_samples: int) -> None:
    signal = np.random.default_rng(0).standard_normal((3, n_samples)).astype(np.float32)
    nperseg = min(n_samples, int(2 * fs_hz))
    freqs, power = welch_power(signal, fs_hz, nperseg=nperseg)
    expected_freqs, expected = welch(signal, fs=fs_hz, nperseg=nperseg, axis=-1)
    window = get_window("hann", nperseg)
    np.testing.assert_array_equal(freqs, expected_freqs)
    scaled = power / (fs_hz * np.sum(window**2))
    np.testing.assert_allclose(scaled, expected, rtol=1e-5, atol=1e-6 * expected.max())


def test_loading_stays_strict_and_leaves_nothing_on_the_meta_device(
    tiny_weights, tiny_model
) -> None:
    loaded = load_model(tiny_weights, device="cpu")
    tensors = list(loaded.module.parameters()) + list(loaded.module.buffers())
    assert all(t.device.type == "cpu" for t in tensors)
    state = tiny_model.module.trainable_state_dict()
    assert all(torch.equal(state[k], v) for k, v in loaded.module.trainable_state_dict().items())
    missing = {k: v for k, v in state.items() if k != "logit_scale"}
    with pytest.raises(RuntimeError, match="missing keys \\['logit_scale'\\]"):
        loaded.module.load_trainable_state_dict(missing)
    with pytest.raises(RuntimeError, match="unexpected keys \\['stray'\\]"):
        loaded.module.load_trainable_state_dict(state | {"stray": torch.zeros(1)})
