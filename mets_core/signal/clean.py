"""Cleaning and resampling of ECG leads (NeuroKit-based), shared by the model input and the viewer.

`clean_ecg` has two uses that must stay apart: the model input uses the NeuroKit method it was
trained on; the viewer and the measurements use "diagnostic", which keeps QRS amplitudes.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError

FloatArray = npt.NDArray[np.float32]
NOTCH_Q = 30.0  # mains notch quality factor: bandwidth = powerline_hz / NOTCH_Q


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
        [
            nk.signal_filter(lead, sampling_rate=rate, lowcut=0.5, method="butterworth", order=5)
            for lead in leads
        ]
    )
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
