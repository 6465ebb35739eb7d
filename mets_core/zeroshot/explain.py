"""Which seconds drove a candidate: occlusion over time, all leads masked one segment at a time.

`zeroshot.rank.lead_importance` answers "which leads"; this answers "which seconds". The model input
(100 Hz, `preprocess_for_model`) is cut into segments of `segment_s`; each segment is set to zero
in every lead, and the cosine with the candidate is measured again. A record longer than one
model window averages its window embeddings, so masking a segment changes only its own window's
embedding: the new mean is the old mean with that window swapped. All masked copies of a window
run in one batch; records longer than `MAX_EXPLAINED_S` are explained over their first part only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from mets_core.model.load import LoadedModel
from mets_core.record import ECGRecord
from mets_core.signal.preprocess import preprocess_for_model, window_starts
from mets_core.zeroshot.rank import build_label_embeddings

MAX_EXPLAINED_S = 60.0  # longer records: the first 60 s (6 model windows) are explained


@dataclass(frozen=True)
class TimeImportance:
    """Cosine change per masked segment, in the record's own time.

    Attributes:
        starts_s: (S,) start of each segment in seconds from the record's start.
        segment_s: segment length in seconds.
        deltas: (S,) (cosine with the segment masked) - (full cosine); negative = the segment
            supported the candidate.
        note: what was left out (e.g. beyond the first 60 s), or None.
    """

    starts_s: npt.NDArray[np.float64]
    segment_s: float
    deltas: npt.NDArray[np.float64]
    note: str | None


def _embed(model: LoadedModel, windows: np.ndarray) -> torch.Tensor:
    """(B, L, T) model windows -> (B, D) embeddings, no gradients."""
    with torch.inference_mode():
        return model.module.encode_ecg(torch.from_numpy(windows).to(model.device))


def time_importance(
    model: LoadedModel,
    record: ECGRecord,
    candidate: str,
    template: str | None = None,
    segment_s: float = 1.0,
) -> TimeImportance:
    """Occlusion over time for one candidate (see the module docstring).

    Args:
        model: the loaded model. record: the ECG, signal (L, T) in mV.
        candidate: the candidate text (usually the top-ranked one).
        template: prompt template; the model's default when None.
        segment_s: length of each masked segment in seconds.

    Returns:
        TimeImportance with one delta per segment of the explained part of the record.
    """
    config = model.config.preprocess
    template = template if template is not None else model.config.zero_shot_template
    windows = preprocess_for_model(record, config).windows  # (N, L, T) at config.fs_hz
    n_model_samples = int(round(record.duration_s * config.fs_hz))
    starts = window_starts(n_model_samples, config.window_samples)
    label = build_label_embeddings(model, [candidate], [template])[0]
    base = _embed(model, windows)  # (N, D)
    full = F.normalize(base.mean(dim=0), dim=-1) @ label
    step = max(1, int(round(segment_s * config.fs_hz)))
    explained = [w for w, start in enumerate(starts) if start / config.fs_hz < MAX_EXPLAINED_S]
    seg_starts_s, deltas, covered = [], [], 0  # covered: model samples already explained
    for w in explained:
        first = max(covered - starts[w], 0)  # the last window may overlap the one before
        offsets = list(range(first, min(config.window_samples, n_model_samples), step))
        covered = starts[w] + config.window_samples
        masked = np.repeat(windows[w][None], len(offsets), axis=0)
        for row, offset in enumerate(offsets):
            masked[row, :, offset : offset + step] = 0.0
        swapped = base.mean(dim=0) + (_embed(model, masked) - base[w]) / len(windows)
        cosines = (F.normalize(swapped, dim=-1) @ label).cpu().numpy()
        seg_starts_s += [(starts[w] + offset) / config.fs_hz for offset in offsets]
        deltas += [float(c - full) for c in cosines]
    note = None
    if len(explained) < len(windows):
        note = f"explained over the first {MAX_EXPLAINED_S:g} s of {record.duration_s:.0f} s"
    return TimeImportance(np.asarray(seg_starts_s), step / config.fs_hz, np.asarray(deltas), note)
