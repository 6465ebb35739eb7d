"""Signal processing: cleaning, resampling, windowing, and the single `preprocess_for_model`.

Training (`mets_core.train`) and the app call the same `preprocess_for_model`, driven by the
`PreprocessConfig` stored in the weights sidecar, so what the model saw in training is what it sees
in the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from mets_core.config import PreprocessConfig
from mets_core.errors import ECGInputError
from mets_core.record import ECGRecord

FloatArray = npt.NDArray[np.float32]
NOTCH_Q = 30.0  # mains notch quality factor: bandwidth = powerline_hz / NOTCH_Q


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


def clean_ecg(
    signal: FloatArray, *, fs_hz: float, powerline_hz: float = 50.0, method: str = "neurokit"
) -> FloatArray:
    """Clean each lead with neurokit2 (baseline wander and powerline removal).

    NeuroKit's own defaults (1000 Hz, one channel) are wrong for ECG files, so the rate is required
    and leads are looped explicitly. NaN/inf must be rejected before calling this (NeuroKit would
    forward-fill them with only a warning).

    Args:
        signal: (L, T) or (T,) in mV.
        fs_hz: sampling rate of `signal` in Hz (required, no default).
        powerline_hz: mains frequency to suppress, 50 or 60 Hz.
        method: "diagnostic" (0.5 Hz high-pass + mains notch: keeps QRS amplitudes; the viewer
            and measurements use it), an `nk.ecg_clean` method ("neurokit": 0.5 Hz high-pass +
            NeuroKit's powerline moving average, which lowers QRS peaks by 15-35 % at 500 Hz; the
            model was trained on it), or "none".

    Returns:
        float32 array of the same shape, mV.

    Raises:
        ECGInputError: if the signal holds NaN or infinite values.

    Example:
        >>> import neurokit2 as nk
        >>> ecg = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=0)
        >>> clean_ecg(ecg.astype("float32"), fs_hz=500).shape
        (5000,)
    """
    array = np.asarray(signal, dtype=np.float32)
    if not np.isfinite(array).all():
        raise ECGInputError("The signal contains missing or infinite samples (NaN/inf).")
    if method == "none":
        return array.copy()
    if method == "diagnostic":
        return clean_diagnostic(array, fs_hz=fs_hz, powerline_hz=powerline_hz)
    # Imported here, not at module top: neurokit2 pulls in matplotlib and friends (~2 s), which
    # loading the model does not need; the first cleaning in a process pays it once.
    import neurokit2 as nk

    leads = np.atleast_2d(array)
    kwargs = {"powerline": powerline_hz} if method in ("neurokit", "nk", "nk2") else {}
    cleaned = np.stack(
        [
            nk.ecg_clean(lead, sampling_rate=int(round(fs_hz)), method=method, **kwargs)
            for lead in leads
        ]
    ).astype(np.float32)
    return cleaned.reshape(array.shape)


def clean_diagnostic(signal: FloatArray, *, fs_hz: float, powerline_hz: float = 50.0) -> FloatArray:
    """Baseline and mains removal that leaves the QRS amplitude intact (viewer, measurements).

    neurokit2's 0.5 Hz Butterworth high-pass (order 5, as in `nk.ecg_clean`), then a zero-phase
    IIR notch at the mains frequency (quality factor `NOTCH_Q`, about 1.7 Hz wide at 50 Hz) when
    the mains frequency lies below Nyquist. NeuroKit's own powerline step, a moving average one
    mains period wide, is a low-pass that blunts QRS peaks; the notch removes only the mains hum.

    Args:
        signal: (L, T) or (T,) in mV, finite.
        fs_hz: sampling rate in Hz. powerline_hz: mains frequency in Hz (50 or 60).

    Returns:
        float32 array of the same shape, mV.
    """
    import neurokit2 as nk  # lazy, as in clean_ecg
    from scipy.signal import filtfilt, iirnotch

    leads = np.atleast_2d(np.asarray(signal, dtype=np.float64))
    rate = int(round(fs_hz))
    out = np.stack(
        [nk.signal_filter(lead, sampling_rate=rate, lowcut=0.5, method="butterworth", order=5)
         for lead in leads]
    )  # fmt: skip
    if powerline_hz < fs_hz / 2.0 and out.shape[-1] > 3 * 3:  # filtfilt needs > 3 * order
        b, a = iirnotch(powerline_hz, NOTCH_Q, fs=fs_hz)
        out = filtfilt(b, a, out, axis=-1)
    return out.astype(np.float32).reshape(np.shape(signal))


def resample_ecg(signal: FloatArray, *, fs_in_hz: float, fs_out_hz: float) -> FloatArray:
    """Resample along the last axis with a polyphase anti-aliasing filter.

    Args:
        signal: (..., T) samples at `fs_in_hz`.
        fs_in_hz: input rate in Hz. fs_out_hz: output rate in Hz.

    Returns:
        float32 (..., round(T * fs_out_hz / fs_in_hz)).

    Example:
        >>> import numpy as np
        >>> resample_ecg(np.zeros((2, 3600), "float32"), fs_in_hz=360, fs_out_hz=100).shape
        (2, 1000)
    """
    if fs_in_hz == fs_out_hz:
        return np.asarray(signal, dtype=np.float32)
    from scipy.signal import resample_poly  # lazy: scipy.signal costs ~1 s to import

    ratio = Fraction(fs_out_hz / fs_in_hz).limit_denominator(1000)
    out = resample_poly(signal, ratio.numerator, ratio.denominator, axis=-1)
    n_out = int(round(np.shape(signal)[-1] * fs_out_hz / fs_in_hz))
    return np.asarray(out[..., :n_out], dtype=np.float32)


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

    Order: check -> resample to the model rate -> clean (so cleaning always runs at the rate the
    model was trained on) -> arrange leads by name (missing leads: zero rows, the model is trained
    with lead dropout) -> clip extreme amplitudes -> split into model windows.

    Args:
        record: an ECGRecord (signal (L, T) in mV).
        config: the preprocessing contract from the weights sidecar.

    Returns:
        PreprocessedECG with windows (N, len(config.lead_names), config.window_samples).

    Raises:
        ECGInputError: on NaN/inf, no usable lead, or a recording shorter than the minimum.

    Example:
        >>> import neurokit2 as nk, numpy as np
        >>> from mets_core.record import ECGRecord
        >>> ii = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=0)
        >>> rec = ECGRecord(ii[None].astype(np.float32), 500.0, ("II",))
        >>> preprocess_for_model(rec, PreprocessConfig()).windows.shape
        (1, 12, 1000)
    """
    record.validate()
    notes = _check_usable(record, config)
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
            f"missing leads {', '.join(missing)} set to zero (model trained with lead dropout)"
        )
    clipped = int((np.abs(rows) > config.amplitude_clip_mv).sum())
    if clipped:
        notes.append(f"{clipped} samples beyond +-{config.amplitude_clip_mv:g} mV clipped")
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
    flat = [
        n for n, lead in zip(record.lead_names, record.signal, strict=True) if np.ptp(lead) < 1e-6
    ]
    if len(flat) == record.n_leads:
        raise ECGInputError("Every lead is flat (a constant value): no ECG signal was recorded.")
    return [f"lead {name} is flat (constant); it may be disconnected" for name in flat]
