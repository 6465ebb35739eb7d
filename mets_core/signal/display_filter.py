"""Display filters of the paper view: what the clinician sees, never what the model sees.

ECG machines print with a named filter, and readers expect to be told which. Two are offered:

- "diagnostic": 0.05-150 Hz, the AHA band for diagnostic ECGs (Kligfield et al., Circulation
  2007): the 0.05 Hz high-pass keeps ST segments true; the low-pass sits at 150 Hz, or at the
  record's Nyquist frequency when that is lower (100 Hz records: 50 Hz), where no filter is
  needed. A mains notch is added, as on clinical machines.
- "monitor": 0.5 Hz high-pass + mains notch (`clean.clean_diagnostic`, which the median beats
  use): a flat baseline, but a high-pass this high bends ST segments, as on bedside monitors.

The model's own preprocessing (`signal.preprocess`) is separate and never changes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mets_core.errors import ECGInputError
from mets_core.signal.clean import NOTCH_Q, FloatArray, clean_diagnostic

DisplayMode = Literal["diagnostic", "monitor"]
DISPLAY_MODES: tuple[DisplayMode, ...] = ("diagnostic", "monitor")
DIAGNOSTIC_HIGHPASS_HZ = 0.05  # AHA lower edge (preserves the ST segment)
DIAGNOSTIC_LOWPASS_HZ = 150.0  # AHA upper edge for adults
MONITOR_HIGHPASS_HZ = 0.5  # monitor-mode lower edge (flat baseline; distorts ST)


@dataclass(frozen=True)
class DisplayFilter:
    """A display filter as applied to one record.

    Attributes:
        mode: "diagnostic" or "monitor".
        label: the name printed on the tracing, e.g. "diagnostic 0.05-150 Hz + 50 Hz notch".
        note: why the band differs from the nominal one (e.g. capped at Nyquist), or None.
    """

    mode: DisplayMode
    label: str
    note: str | None = None


def describe_display_filter(mode: DisplayMode, fs_hz: float, powerline_hz: float) -> DisplayFilter:
    """The filter `mode` would apply to a record at `fs_hz`, named for the tracing."""
    nyquist = fs_hz / 2.0
    notch = f" + {powerline_hz:g} Hz notch" if powerline_hz < nyquist else ""
    if mode == "monitor":
        return DisplayFilter(mode, f"monitor {MONITOR_HIGHPASS_HZ:g} Hz high-pass{notch}")
    if mode != "diagnostic":
        raise ECGInputError(f"Expected a display filter among {DISPLAY_MODES}; got {mode!r}.")
    top = min(DIAGNOSTIC_LOWPASS_HZ, nyquist)
    label = f"diagnostic {DIAGNOSTIC_HIGHPASS_HZ:g}-{top:g} Hz{notch}"
    note = None
    if top < DIAGNOSTIC_LOWPASS_HZ:
        note = (
            f"the upper edge is {top:g} Hz, the Nyquist limit of this {fs_hz:g} Hz record "
            f"(the AHA band reaches {DIAGNOSTIC_LOWPASS_HZ:g} Hz)"
        )
    return DisplayFilter(mode, label, note)


def filter_for_display(
    signal: FloatArray, *, fs_hz: float, mode: DisplayMode, powerline_hz: float = 50.0
) -> FloatArray:
    """Filter leads for the paper view with a named display filter (see the module docstring).

    Zero-phase (forward-backward), so waves keep their timing.

    Args:
        signal: (L, T) or (T,) in mV, finite.
        fs_hz: sampling rate in Hz. mode: "diagnostic" or "monitor".
        powerline_hz: mains frequency (50 or 60 Hz) for the notch.

    Returns:
        float32 array of the same shape, mV.

    Example:
        >>> import neurokit2 as nk
        >>> ecg = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=0)
        >>> filter_for_display(ecg.astype("float32"), fs_hz=500, mode="diagnostic").shape
        (5000,)
    """
    describe_display_filter(mode, fs_hz, powerline_hz)  # validates mode
    if mode == "monitor":
        return clean_diagnostic(signal, fs_hz=fs_hz, powerline_hz=powerline_hz)
    from scipy.signal import butter, filtfilt, iirnotch, sosfiltfilt  # lazy, as in clean.py

    x = np.atleast_2d(np.asarray(signal, dtype=np.float64))
    # first-order high-pass (an RC stage, as in ECG amplifiers), run forward and backward
    sos = butter(1, DIAGNOSTIC_HIGHPASS_HZ, btype="highpass", fs=fs_hz, output="sos")
    x = x - np.median(x, axis=-1, keepdims=True)  # the offset would take minutes to decay
    x = sosfiltfilt(sos, x, axis=-1, padtype="even")
    if DIAGNOSTIC_LOWPASS_HZ < fs_hz / 2.0:
        x = sosfiltfilt(butter(2, DIAGNOSTIC_LOWPASS_HZ, fs=fs_hz, output="sos"), x, axis=-1)
    if powerline_hz < fs_hz / 2.0 and x.shape[-1] > 9:
        b, a = iirnotch(powerline_hz, NOTCH_Q, fs=fs_hz)
        x = filtfilt(b, a, x, axis=-1)
    return x.astype(np.float32).reshape(np.shape(signal))
