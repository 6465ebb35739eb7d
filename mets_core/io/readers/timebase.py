"""Sampling rate from a time column: which columns count as time, and the rate they imply."""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError

PLAUSIBLE_FS_HZ = (20.0, 20000.0)  # ECG devices sample between ~50 Hz and ~10 kHz
_SECONDS_LABELS = {"time", "t", "times", "timesec", "timeseconds", "seconds", "sec", "elapsedtime"}
_MILLISECOND_LABELS = {
    "timems",
    "tms",
    "timemsec",
    "ms",
    "msec",
    "milliseconds",
    "timemilliseconds",
}


def time_column_unit(label: str) -> str | None:
    """Return "s" or "ms" for a time-column label ("time_ms", "Time (s)"), else None."""
    key = re.sub(r"[\s_\-\(\)\[\]]+", "", label.strip().lower())
    if key in _MILLISECOND_LABELS:
        return "ms"
    return "s" if key in _SECONDS_LABELS else None


def _rate(time: npt.NDArray[np.float64], seconds_per_unit: float) -> float:
    span = (time[-1] - time[0]) * seconds_per_unit
    return (time.size - 1) / span


def _round_rate(rate_hz: float) -> float:
    """Snap to a whole number of Hz when within 0.2% (time printed with few decimals)."""
    nearest = round(rate_hz)
    return float(nearest) if nearest and abs(rate_hz - nearest) <= 0.002 * rate_hz else rate_hz


def _check_even(time: npt.NDArray[np.float64], label: str) -> None:
    if not np.all(np.isfinite(time)):
        raise ECGInputError(f"The time column {label} has empty or non-numeric cells.")
    steps = np.diff(time)
    if np.any(steps <= 0):
        raise ECGInputError(
            f"The time column {label} must increase from row to row; it goes back or repeats "
            f"at data row {int(np.flatnonzero(steps <= 0)[0]) + 2}."
        )
    step = (time[-1] - time[0]) / (time.size - 1)
    drift = np.abs(time - (time[0] + step * np.arange(time.size)))
    if drift.max() > step or steps.max() > 1.9 * step:  # a skipped sample doubles one step
        raise ECGInputError(
            f"The time column {label} is not evenly spaced (gaps or jumps of more than one "
            "sample); export the ECG without gaps."
        )


def rate_from_time_column(
    time: npt.NDArray[np.float64], label: str, fs_hz: float | None
) -> tuple[float, str]:
    """Compute the sampling rate in Hz from an evenly spaced time column.

    Args:
        time: (T,) time stamps in the unit the label names (seconds unless it says ms).
        label: the column label, e.g. "time_ms".
        fs_hz: a rate entered by the user, only compared against.

    Returns:
        (rate in Hz, a note saying how it was found).

    Raises:
        ECGInputError: gaps, a decreasing clock, or no plausible rate in either unit.
    """
    _check_even(time, label)
    declared = time_column_unit(label) or "s"
    other = "s" if declared == "ms" else "ms"
    scale = {"s": 1.0, "ms": 1e-3}
    low, high = PLAUSIBLE_FS_HZ
    for unit in (declared, other):
        rate = _round_rate(_rate(time, scale[unit]))
        if low <= rate <= high:
            break
    else:
        raise ECGInputError(
            f"The time column {label} implies an implausible sampling rate "
            f"({_rate(time, scale[declared]):.3g} Hz); expected {low:g}-{high:g} Hz."
        )
    note = f"sampling rate {rate:g} Hz computed from the time column {label}"
    if unit != declared:
        note += f" (its values are in {'milliseconds' if unit == 'ms' else 'seconds'})"
    if fs_hz is not None and abs(fs_hz - rate) > 0.01 * rate:
        note += f"; the entered rate ({fs_hz:g} Hz) disagrees and was not used"
    return rate, note
