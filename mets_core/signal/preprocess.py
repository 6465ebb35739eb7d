"""The single `preprocess_for_model`: resample, clean, arrange leads, window.

Training (`mets_core.train.loop`) and the app call the same `preprocess_for_model`, driven by the
`PreprocessConfig` stored in the weights sidecar, so what the model saw in training is what it sees
in the app.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mets_core.config import PreprocessConfig
from mets_core.errors import ECGInputError
from mets_core.notes import warning
from mets_core.record import ECGRecord, constant_leads, constant_leads_note
from mets_core.signal.calibration import blank_calibration_pulses
from mets_core.signal.clean import FloatArray, clean_ecg, resample_ecg


@dataclass(frozen=True)
class PreprocessedECG:
    """Model-ready input.

    Attributes:
        windows: float32 (N, L, T): N windows of the model length, leads in the model's order.
        lead_present: bool (L,): False where the lead was missing and filled by the policy.
        notes: every adjustment made, in plain words.
    """

    windows: FloatArray
    lead_present: npt.NDArray[np.bool_]
    notes: tuple[str, ...]


def window_starts(n_samples: int, window_samples: int) -> list[int]:
    """First sample of each model window (see `split_windows`); [0] for one or a padded window."""
    if n_samples <= window_samples:
        return [0]
    starts = list(range(0, n_samples - window_samples + 1, window_samples))
    if starts[-1] + window_samples < n_samples:
        starts.append(n_samples - window_samples)
    return starts


def split_windows(signal: FloatArray, *, window_samples: int) -> tuple[FloatArray, str | None]:
    """Cover a (L, T) signal with (N, L, window_samples) windows.

    Rule: shorter than a window -> zero-padded at the end; longer -> consecutive non-overlapping
    windows, the last one aligned to the end of the recording so no sample is dropped; their
    embeddings are averaged by the caller.

    Returns:
        The windows and a note describing what was done (None when nothing was).
    """
    n_samples = signal.shape[-1]
    if n_samples == window_samples:
        return signal[None].astype(np.float32), None
    if n_samples < window_samples:
        padded = np.zeros((signal.shape[0], window_samples), dtype=np.float32)
        padded[:, :n_samples] = signal
        return padded[None], "zero-padded at the end to fill one model window"
    starts = window_starts(n_samples, window_samples)
    windows = np.stack([signal[:, s : s + window_samples] for s in starts]).astype(np.float32)
    return windows, f"split into {len(starts)} model windows whose embeddings are averaged"


def arrange_leads(
    record: ECGRecord, lead_names: tuple[str, ...]
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Return (L, T) rows in `lead_names` order, zero rows for absent leads, and a presence mask."""
    rows = np.zeros((len(lead_names), record.n_samples), dtype=np.float32)
    present = np.zeros(len(lead_names), dtype=bool)
    for index, name in enumerate(lead_names):
        if name in record.lead_names:
            rows[index] = record.lead(name)
            present[index] = True
    return rows, present


def preprocess_for_model(record: ECGRecord, config: PreprocessConfig) -> PreprocessedECG:
    """Turn any validated record into model input, the same way in training and in the app.

    Order: check -> hold any device calibration pulse flat (`signal.calibration`; records
    without one are untouched) -> resample to the model rate -> clean (so cleaning always runs at
    the rate the model was trained on) -> arrange leads by name (missing leads: zero rows, the
    model is trained with lead dropout) -> clip extreme amplitudes -> split into model windows.

    Args:
        record: an ECGRecord (signal (L, T) in mV).
        config: the preprocessing contract from the weights sidecar.

    Returns:
        PreprocessedECG with windows (N, len(config.lead_names), config.window_samples).

    Raises:
        ECGInputError: on NaN/inf, no usable lead, or a recording shorter than the minimum.

    Example:
        >>> import neurokit2 as nk, numpy as np
        >>> from mets_core.record import ECGRecord, constant_leads, constant_leads_note
        >>> ii = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=0)
        >>> rec = ECGRecord(ii[None].astype(np.float32), 500.0, ("II",))
        >>> preprocess_for_model(rec, PreprocessConfig()).windows.shape
        (1, 12, 1000)
    """
    record.validate()
    notes = _check_usable(record, config)
    record, pulse_note = blank_calibration_pulses(record)
    notes += [pulse_note] if pulse_note else []
    signal = resample_ecg(record.signal, fs_in_hz=record.fs_hz, fs_out_hz=config.fs_hz)
    if record.fs_hz != config.fs_hz:
        notes.append(f"resampled {record.fs_hz:g} Hz -> {config.fs_hz:g} Hz (model rate)")
    signal = clean_ecg(
        signal, fs_hz=config.fs_hz, powerline_hz=config.powerline_hz, method=config.clean_method
    )
    arranged = arrange_leads(ECGRecord(signal, config.fs_hz, record.lead_names), config.lead_names)
    rows, present = arranged
    missing = [name for name, ok in zip(config.lead_names, present, strict=True) if not ok]
    if missing:
        notes.append(
            warning(
                f"missing leads {', '.join(missing)} set to zero (model trained with lead dropout)"
            )
        )
    clipped = int((np.abs(rows) > config.amplitude_clip_mv).sum())
    if clipped:
        notes.append(warning(f"{clipped} samples beyond +-{config.amplitude_clip_mv:g} mV clipped"))
        rows = np.clip(rows, -config.amplitude_clip_mv, config.amplitude_clip_mv)
    windows, window_note = split_windows(rows, window_samples=config.window_samples)
    if window_note:
        notes.append(
            f"{record.duration_s:.1f} s recording ({config.window_s:g} s model window) "
            f"{window_note}"
        )
    return PreprocessedECG(windows, present, tuple(notes))


def _check_usable(record: ECGRecord, config: PreprocessConfig) -> list[str]:
    if record.duration_s < config.min_duration_s:
        raise ECGInputError(
            f"The recording is {record.duration_s:.2f} s long; at least "
            f"{config.min_duration_s:g} s "
            "is needed."
        )
    if not set(record.lead_names) & set(config.lead_names):
        raise ECGInputError(
            f"Expected some of the leads {', '.join(config.lead_names)}; this record has "
            f"{', '.join(record.lead_names)}."
        )
    flat = constant_leads(record.signal, record.lead_names)
    if len(flat) == record.n_leads:
        raise ECGInputError("Every lead is flat (a constant value): no ECG signal was recorded.")
    note = constant_leads_note(flat)
    return [note] if note else []
