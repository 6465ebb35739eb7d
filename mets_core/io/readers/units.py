"""Unit handling: declared units to millivolts, and the amplitude rule when no unit is declared.

The amplitude rule, used only for channels whose file declares no unit (CSV, NPY, a bare .mat):
a cleaned ECG in millivolts has a robust peak-to-peak (1st to 99th percentile, per lead) of
roughly 0.3 to 10. We take the median of that over the ECG leads and decide:

* median >= `MICROVOLT_MIN_PTP` (50): the values are microvolts -> divide by 1000;
* median <= `VOLT_MAX_PTP` (0.02): the values are volts -> multiply by 1000;
* otherwise: millivolts, unchanged.

Every conversion is reported in a note, e.g. "values looked like microvolts (median
peak-to-peak 850); converted to millivolts".
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mets_core.notes import Note, warning

MICROVOLT_MIN_PTP = 50.0
VOLT_MAX_PTP = 0.02
_DECLARED_MV_SUSPICIOUS_PTP = 100.0  # a declared-mV ECG this large probably has the wrong unit

# Millivolts per declared unit, keyed by the lower-case unit with spaces removed.
_MV_PER_UNIT: dict[str, float] = {
    "mv": 1.0,
    "millivolt": 1.0,
    "millivolts": 1.0,
    "uv": 1e-3,
    "µv": 1e-3,
    "μv": 1e-3,
    "microvolt": 1e-3,
    "microvolts": 1e-3,
    "v": 1e3,
    "volt": 1e3,
    "volts": 1e3,
    "nv": 1e-6,
}


def millivolts_per_unit(unit: str | None) -> float | None:
    """Millivolts per one declared unit ("uV" -> 0.001), or None if the unit is absent/unknown."""
    if unit is None:
        return None
    return _MV_PER_UNIT.get(unit.strip().replace(" ", "").lower())


def robust_peak_to_peak(signal: npt.NDArray[np.float64]) -> float:
    """Median over rows of the 1st-to-99th percentile range of a (L, T) signal (NaN ignored)."""
    if signal.size and np.isfinite(signal).all():  # all rows at once (the same numbers per row)
        ranges = np.percentile(signal, 99, axis=-1) - np.percentile(signal, 1, axis=-1)
        return float(np.median(ranges))
    finite_rows = [row[np.isfinite(row)] for row in signal]
    ranges = [np.percentile(row, 99) - np.percentile(row, 1) for row in finite_rows if row.size]
    return float(np.median(ranges)) if ranges else 0.0


def scale_undeclared(
    signal: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], str | None]:
    """Apply the amplitude rule to a (L, T) signal with no declared unit.

    Args:
        signal: (L, T) samples in an unknown unit.

    Returns:
        The signal in millivolts and a note when it was rescaled (None when left as is).
    """
    ptp = robust_peak_to_peak(signal)
    if ptp >= MICROVOLT_MIN_PTP:
        note = (
            f"values looked like microvolts (median peak-to-peak {ptp:.0f}); "
            "converted to millivolts"
        )
        return signal / 1000.0, note
    if 0.0 < ptp <= VOLT_MAX_PTP:
        note = f"values looked like volts (median peak-to-peak {ptp:.4f}); converted to millivolts"
        return signal * 1000.0, note
    return signal, None


def scale_declared(
    signal: npt.NDArray[np.float64], units: list[str | None], names: list[str]
) -> tuple[npt.NDArray[np.float64], list[str]]:
    """Convert rows with a known declared unit to mV; rows without one use the amplitude rule.

    Args:
        signal: (L, T) samples, row i in `units[i]`.
        units: declared unit per row, or None.
        names: lead names per row, for the notes.

    Returns:
        The (L, T) signal in millivolts and the notes describing each conversion.
    """
    out = signal.astype(np.float64, copy=True)
    notes: list[str] = []
    factors = [millivolts_per_unit(unit) for unit in units]
    unknown = [i for i, factor in enumerate(factors) if factor is None]
    for i, factor in enumerate(factors):
        if factor is not None:
            out[i] *= factor
    converted = sorted({str(units[i]) for i, f in enumerate(factors) if f not in (None, 1.0)})
    if converted:
        notes.append(f"converted {', '.join(converted)} to millivolts as declared by the file")
    if unknown:
        out[unknown], note = scale_undeclared(out[unknown])
        declared = sorted({str(units[i]) for i in unknown if units[i]})
        if declared:
            notes.append(f"unit {', '.join(declared)} not recognised; judged by amplitude instead")
        notes.extend([note] if note else [])
    known = [i for i in range(len(units)) if i not in unknown]
    if known and robust_peak_to_peak(out[known]) > _DECLARED_MV_SUSPICIOUS_PTP:
        notes.append(_suspicious_note(out[known], [names[i] for i in known]))
    return out, notes


def _suspicious_note(signal: npt.NDArray[np.float64], names: list[str]) -> Note:
    ptp = robust_peak_to_peak(signal)
    return warning(
        f"leads {', '.join(names)} have a median peak-to-peak of {ptp:.0f} mV, far above a "
        "normal ECG (0.3-10 mV); the file's declared unit may be wrong"
    )
