"""Cleaning and resampling of ECG leads (NeuroKit's filters), for the model input and the viewer.

`clean_ecg` has two uses that must stay apart: the model input uses the NeuroKit method it was
trained on; the viewer and the measurements use "diagnostic", which keeps QRS amplitudes.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError

FloatArray = npt.NDArray[np.float32]
NOTCH_Q = 30.0  # mains notch quality factor: bandwidth = powerline_hz / NOTCH_Q


NEUROKIT_METHODS = ("neurokit", "nk", "nk2", "neurokit2")  # nk.ecg_clean's names for its default
HIGHPASS_HZ = 0.5  # baseline-wander high-pass cut-off (nk.ecg_clean "neurokit"), Hz
HIGHPASS_ORDER = 5  # its Butterworth order


def clean_ecg(
    signal: FloatArray, *, fs_hz: float, powerline_hz: float = 50.0, method: str = "neurokit"
) -> FloatArray:
    """Clean every lead (baseline wander and powerline removal), whole arrays at once.

    "neurokit" reproduces `nk.ecg_clean(lead, sampling_rate=round(fs_hz), powerline=powerline_hz)`
    on each lead (tests compare the two): a zero-phase 0.5 Hz Butterworth high-pass of order 5
    (`sosfiltfilt`), then NeuroKit's powerline step, a zero-phase moving average one mains period
    wide (`filtfilt`, 2 taps below 100 Hz). Both run along the last axis of the whole array, so a
    record's leads, or a batch of records, cost one call instead of a Python loop over leads;
    neurokit2 itself is not imported. The computation is float64, as in NeuroKit, on the float32
    input. NaN/inf are rejected (NeuroKit would interpolate them with only a warning).

    Args:
        signal: (T,), (L, T) or a batch (N, L, T), in mV.
        fs_hz: sampling rate of `signal` in Hz (required, no default).
        powerline_hz: mains frequency to suppress, 50 or 60 Hz.
        method: "diagnostic" (0.5 Hz high-pass + mains notch: keeps QRS amplitudes; the viewer
            and measurements use it), "neurokit" (0.5 Hz high-pass + NeuroKit's powerline moving
            average, which lowers QRS peaks by 15-35 % at 500 Hz; the model was trained on it),
            another `nk.ecg_clean` method (looped over leads by neurokit2), or "none".

    Returns:
        float32 array of the same shape, mV.

    Raises:
        ECGInputError: if the signal holds NaN or infinite values.
        ValueError: if the signal is too short for the zero-phase filter's padding (33 samples
            for "neurokit"), as `nk.ecg_clean` does.

    See Also:
        clean_diagnostic, resample_ecg, mets_core.signal.preprocess.preprocess_for_model

    Example:
        >>> import neurokit2 as nk
        >>> ecg = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=0)
        >>> clean_ecg(ecg.astype("float32"), fs_hz=500).shape
        (5000,)
        >>> clean_ecg(np.zeros((4, 12, 1000), "float32"), fs_hz=100).shape  # 4 records
        (4, 12, 1000)
    """
    array = np.asarray(signal, dtype=np.float32)
    if not np.isfinite(array).all():
        raise ECGInputError("The signal contains missing or infinite samples (NaN/inf).")
    if method == "none":
        return array.copy()
    if method == "diagnostic":
        return clean_diagnostic(array, fs_hz=fs_hz, powerline_hz=powerline_hz)
    if method.lower() in NEUROKIT_METHODS:
        smoothed = _powerline_moving_average(_highpass(array, fs_hz), fs_hz, powerline_hz)
        return smoothed.astype(np.float32)
    return _clean_with_neurokit(array, fs_hz=fs_hz, method=method)


def clean_diagnostic(signal: FloatArray, *, fs_hz: float, powerline_hz: float = 50.0) -> FloatArray:
    """Baseline and mains removal that leaves the QRS amplitude intact (viewer, measurements).

    neurokit2's 0.5 Hz Butterworth high-pass (order 5, as in `nk.ecg_clean`), then a zero-phase
    IIR notch at the mains frequency (quality factor `NOTCH_Q`, about 1.7 Hz wide at 50 Hz) when
    the mains frequency lies below Nyquist. NeuroKit's own powerline step, a moving average one
    mains period wide, is a low-pass that blunts QRS peaks; the notch removes only the mains hum.
    Runs on the whole array along its last axis (float64 inside, as before).

    Args:
        signal: (T,), (L, T) or (N, L, T) in mV, finite.
        fs_hz: sampling rate in Hz. powerline_hz: mains frequency in Hz (50 or 60).

    Returns:
        float32 array of the same shape, mV.
    """
    from scipy.signal import filtfilt, iirnotch  # lazy: scipy.signal costs ~1 s to import

    out = _highpass(np.asarray(signal, dtype=np.float64), fs_hz)
    if powerline_hz < fs_hz / 2.0 and out.shape[-1] > 3 * 3:  # filtfilt needs > 3 * order
        b, a = iirnotch(powerline_hz, NOTCH_Q, fs=fs_hz)
        out = filtfilt(b, a, out, axis=-1)
    return out.astype(np.float32).reshape(np.shape(signal))


def _highpass(array: npt.NDArray, fs_hz: float) -> npt.NDArray[np.float64]:
    """NeuroKit's baseline filter on (..., T): `nk.signal_filter(lowcut=0.5, order=5)`.

    Same rate rounding (an integer `sampling_rate`), same second-order sections, same
    `sosfiltfilt` odd padding; float64 out, whatever the float input.
    """
    from scipy.signal import sosfiltfilt

    sos = _highpass_sos(int(round(fs_hz))).copy()  # the cached design stays untouched
    return sosfiltfilt(sos, array, axis=-1)


@functools.lru_cache(maxsize=32)
def _highpass_sos(rate: int) -> npt.NDArray[np.float64]:
    """The high-pass's (3, 6) second-order sections at an integer rate, designed once per rate
    (`butter` costs ~2 ms, as much as filtering a 10-s 12-lead record at 100 Hz)."""
    from scipy.signal import butter

    sos = butter(HIGHPASS_ORDER, HIGHPASS_HZ, btype="highpass", output="sos", fs=rate)
    return sos


def _powerline_moving_average(
    array: npt.NDArray[np.float64], fs_hz: float, powerline_hz: float
) -> npt.NDArray[np.float64]:
    """NeuroKit's "powerline" filter on (..., T): a zero-phase moving average one mains period
    wide (`int(rate / powerline_hz)` taps at 100 Hz and above, 2 taps below), `filtfilt` "pad".

    One tap (60 Hz mains at 100-119 Hz) is the identity: returned as is, where NeuroKit raises.
    """
    from scipy.signal import filtfilt

    rate = int(round(fs_hz))
    taps = int(rate / powerline_hz) if rate >= 100 else 2
    if taps <= 1:
        return array
    return filtfilt(np.ones(taps), [taps], array, axis=-1, method="pad")


def _clean_with_neurokit(array: FloatArray, *, fs_hz: float, method: str) -> FloatArray:
    """Any other `nk.ecg_clean` method, looped over the leads of (T,), (L, T) or (N, L, T)."""
    # Imported here, not at module top: neurokit2 pulls in matplotlib and friends (~2 s).
    import neurokit2 as nk

    leads = array.reshape(-1, array.shape[-1])
    rate = int(round(fs_hz))
    cleaned = [nk.ecg_clean(lead, sampling_rate=rate, method=method) for lead in leads]
    return np.stack(cleaned).astype(np.float32).reshape(array.shape)


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
    up, down = ratio.numerator, ratio.denominator
    array = np.asarray(signal)
    dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float64
    taps = _resample_taps(up, down).astype(dtype)  # the filter resample_poly would design
    out = resample_poly(array, up, down, axis=-1, window=taps)
    n_out = int(round(np.shape(signal)[-1] * fs_out_hz / fs_in_hz))
    return np.asarray(out[..., :n_out], dtype=np.float32)


@functools.lru_cache(maxsize=32)
def _resample_taps(up: int, down: int) -> npt.NDArray[np.float64]:
    """`resample_poly`'s own anti-aliasing filter for a reduced ratio up/down (its default
    Kaiser window, beta 5, 20 x max(up, down) + 1 taps), designed once per ratio: `firwin`
    cost about a third of resampling a 10-s 12-lead record. resample_poly scales it by `up`
    itself, as it does its own design."""
    from scipy.signal import firwin

    max_rate = max(up, down)
    return firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))
