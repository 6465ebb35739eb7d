"""Zero-shot ranking: ordering, permutation invariance, templates, bad candidate lists."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mets_core.errors import LabelInputError
from mets_core.model.load import encode_ecg
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot.rank import (
    _uniformity_warning,
    build_label_embeddings,
    lead_importance,
    parse_candidates,
    rank,
)

CANDIDATES = ["atrial fibrillation", "sinus rhythm", "left bundle branch block", "normal ecg"]


def test_ranking_is_sorted_and_probabilities_sum_to_one(tiny_model, ecg_12_lead):
    ranking = rank(tiny_model, ecg_12_lead, CANDIDATES)
    cosines = [r.cosine for r in ranking]
    assert cosines == sorted(cosines, reverse=True)
    assert np.isclose(sum(r.probability for r in ranking), 1.0, atol=1e-5)
    assert {r.candidate for r in ranking} == set(CANDIDATES)
    assert not ranking.weights.trained and ranking.to_dict()["weights"]["status"] == "random-init"


def test_scores_follow_candidates_when_permuted(tiny_model, ecg_12_lead):
    forward = {r.candidate: r.cosine for r in rank(tiny_model, ecg_12_lead, CANDIDATES)}
    backward = {r.candidate: r.cosine for r in rank(tiny_model, ecg_12_lead, CANDIDATES[::-1])}
    assert forward.keys() == backward.keys()
    assert all(np.isclose(forward[c], backward[c], atol=1e-6) for c in forward)


def test_cosine_matches_a_direct_computation(tiny_model, ecg_12_lead):
    ranking = rank(tiny_model, ecg_12_lead, CANDIDATES)
    windows = preprocess_for_model(ecg_12_lead, tiny_model.config.preprocess).windows
    ecg = encode_ecg(tiny_model, windows)
    labels = build_label_embeddings(tiny_model, [ranking[0].candidate])
    assert np.isclose(float(ecg @ labels[0]), ranking[0].cosine, atol=1e-6)


def test_template_is_applied_and_shown(tiny_model, ecg_12_lead):
    ranking = rank(tiny_model, ecg_12_lead, ["sinus rhythm"], template="The ECG of {}.")
    assert ranking[0].prompt == "The ECG of sinus rhythm."


def test_template_ensemble_is_the_renormalised_mean(tiny_model):
    templates = ["{}", "The ECG of {}."]
    ensemble = build_label_embeddings(tiny_model, ["sinus rhythm"], templates)[0]
    parts = [build_label_embeddings(tiny_model, ["sinus rhythm"], [t])[0] for t in templates]
    expected = torch.nn.functional.normalize(parts[0] + parts[1], dim=-1)
    assert torch.allclose(ensemble, expected, atol=1e-5)


@pytest.mark.parametrize(
    "bad, message",
    [
        ([], "at least one"),
        (["", "   "], "at least one"),
        ("\n\n", "at least one"),
        (["sinus rhythm", "Sinus  Rhythm"], "twice"),
        (["x" * 400], "under"),
        ([f"label {i}" for i in range(101)], "at most"),
    ],
)
def test_bad_candidate_lists_are_refused(bad, message):
    with pytest.raises(LabelInputError, match=message):
        parse_candidates(bad)


def test_text_input_is_one_candidate_per_line():
    assert parse_candidates(" sinus rhythm \n\natrial  fibrillation\n") == [
        "sinus rhythm",
        "atrial fibrillation",
    ]


def test_template_without_slot_is_refused(tiny_model, ecg_12_lead):
    with pytest.raises(LabelInputError, match="exactly one"):
        rank(tiny_model, ecg_12_lead, ["sinus rhythm"], template="no slot")


def test_nearly_uniform_scores_are_flagged():
    assert "uniform" in _uniformity_warning(np.array([0.10, 0.105, 0.11]))
    assert _uniformity_warning(np.array([0.10, 0.30])) is None
    assert _uniformity_warning(np.array([0.10])) is None  # one candidate: nothing to compare


def test_centring_removes_the_shared_direction(tiny_model):
    emb = build_label_embeddings(tiny_model, CANDIDATES, center=True)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(len(CANDIDATES)), atol=1e-5)
    raw = build_label_embeddings(tiny_model, CANDIDATES)
    shared = torch.nn.functional.normalize(raw.mean(dim=0), dim=-1)
    assert (emb @ shared).abs().mean() < (raw @ shared).abs().mean()


def test_lead_importance_matches_masking_one_lead_at_a_time(tiny_model, ecg_12_lead):
    from mets_core.record import ECGRecord

    deltas = lead_importance(tiny_model, ecg_12_lead, "sinus rhythm")
    assert list(deltas) == list(ecg_12_lead.lead_names)
    full = rank(tiny_model, ecg_12_lead, ["sinus rhythm"])[0].cosine
    masked_signal = ecg_12_lead.signal.copy()
    masked_signal[4] = 0.0  # aVL
    masked = ECGRecord(masked_signal, ecg_12_lead.fs_hz, ecg_12_lead.lead_names)
    # zeroing before cleaning equals zeroing after: the cleaner maps zeros to zeros
    expected = rank(tiny_model, masked, ["sinus rhythm"])[0].cosine - full
    assert np.isclose(deltas["aVL"], expected, atol=1e-4)


def test_every_task_class_has_a_candidate_text():
    from mets_core.data.ptbxl_labels import TASK_CLASSES
    from mets_core.zeroshot.labels import class_names, task_labels

    for task, classes in TASK_CLASSES.items():
        assert set(classes) == set(task_labels()[task]), task
        assert len(set(class_names(task))) == len(classes), f"{task}: two classes share a name"
