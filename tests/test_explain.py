"""Occlusion over time: segments, the window-swap shortcut against a direct computation, limits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mets_core
from mets_core.app.plotting import plot_time_importance
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot import explain
from mets_core.zeroshot.rank import build_label_embeddings

CANDIDATE = "left bundle branch block"


@pytest.fixture(scope="module")
def model(tiny_weights):
    return mets_core.load_model(tiny_weights, device="cpu")


def _tiled(record: mets_core.ECGRecord, times: int) -> mets_core.ECGRecord:
    return replace(record, signal=np.tile(record.signal, (1, times)))


def test_one_delta_per_second_in_time_order(model, ecg_12_lead) -> None:
    found = explain.time_importance(model, ecg_12_lead, CANDIDATE)
    assert found.segment_s == 1.0 and found.note is None
    assert np.allclose(found.starts_s, np.arange(round(ecg_12_lead.duration_s)))
    assert np.isfinite(found.deltas).all() and np.abs(found.deltas).max() > 0
    figure = plot_time_importance(ecg_12_lead, found)
    assert len(figure.data) == 2 and len(figure.data[1].x) == len(found.deltas)


def test_window_swap_equals_masking_the_whole_record(model, ecg_12_lead) -> None:
    # A 20 s record has two model windows; masking second 13 must give the same cosine as
    # re-encoding both windows with that second set to zero.
    record = _tiled(ecg_12_lead, 2)
    found = explain.time_importance(model, record, CANDIDATE)
    config = model.config.preprocess
    windows = preprocess_for_model(record, config).windows.copy()  # (2, L, T)
    label = build_label_embeddings(model, [CANDIDATE], [model.config.zero_shot_template])[0]

    def cosine(batch: np.ndarray) -> float:
        with torch.inference_mode():
            emb = model.module.encode_ecg(torch.from_numpy(batch)).mean(dim=0)
        return float(F.normalize(emb, dim=-1) @ label)

    full = cosine(windows)
    fs = int(config.fs_hz)
    windows[1, :, 3 * fs : 4 * fs] = 0.0  # second 13 = second 3 of the second window
    index = int(np.flatnonzero(np.isclose(found.starts_s, 13.0))[0])
    assert found.deltas[index] == pytest.approx(cosine(windows) - full, abs=1e-5)


def test_overlapping_last_window_adds_no_second_bar(model, ecg_12_lead) -> None:
    record = replace(ecg_12_lead, signal=np.tile(ecg_12_lead.signal, (1, 3))[:, : int(25 * 500)])
    found = explain.time_importance(model, replace(record, fs_hz=500.0), CANDIDATE)
    assert np.allclose(found.starts_s, np.arange(25))  # windows at 0, 10 and 15 s


def test_long_records_are_explained_over_their_first_minute(model, ecg_12_lead) -> None:
    record = _tiled(ecg_12_lead, 8)  # 80 s
    found = explain.time_importance(model, record, CANDIDATE, segment_s=2.0)
    assert found.starts_s.max() < explain.MAX_EXPLAINED_S and "first 60 s" in found.note
    assert np.allclose(np.diff(found.starts_s), 2.0)
