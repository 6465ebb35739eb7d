"""`.npy` arrays (and bare `.mat` matrices): no lead names, no rate, so the rules are strict.

A 2-D array is read as 12 leads in standard order only when one axis has exactly 12 entries;
any other lead count is rejected because leads are never matched by position. The rate must be
given (`fs_hz`). Units are judged by amplitude (see `units.py`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError
from mets_core.io.readers.raw import RawRecording
from mets_core.leads import STANDARD_12_LEADS

_N_LEADS = len(STANDARD_12_LEADS)


def _orient(array: npt.NDArray[np.float64], what: str) -> tuple[npt.NDArray[np.float64], str]:
    """Return (12, T) and a note saying which axis was taken as leads."""
    if array.ndim != 2:
        raise ECGInputError(
            f"Expected {what} to hold a 2-D array (leads × samples); found shape {array.shape}."
        )
    rows, cols = array.shape
    if rows == _N_LEADS and cols != _N_LEADS:
        return array, f"array of shape {array.shape} read as (leads, samples)"
    if cols == _N_LEADS and rows != _N_LEADS:
        return array.T, f"array of shape {array.shape} read as (samples, leads) and transposed"
    raise ECGInputError(
        f"{what} has no lead names, so only a 12-lead array in standard order "
        f"(I, II, III, aVR, aVL, aVF, V1–V6) can be read; found an array of shape {array.shape}. "
        "Export the ECG as CSV with a header row of lead names instead."
    )


def array_to_raw(
    array: npt.NDArray[np.generic], fs_hz: float | None, source: str, what: str
) -> RawRecording:
    """Wrap a nameless 2-D array as a standard-order 12-lead RawRecording.

    Args:
        array: (12, T) or (T, 12) numeric array in an undeclared unit.
        fs_hz: sampling rate in Hz; required because the array does not carry it.
        source: file name for messages and `record.source`.
        what: how to call the file in messages, e.g. "This .npy file".

    Raises:
        ECGInputError: non-numeric data, a missing rate, or a shape that is not 12 leads.
    """
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise ECGInputError(f"Expected numbers in {what}; found data of type {array.dtype}.")
    if fs_hz is None:
        raise ECGInputError(
            f"{what} does not store the sampling rate; enter it (for example 500 Hz)."
        )
    signal, orientation = _orient(np.asarray(array, dtype=np.float64), what)
    return RawRecording(
        signal=signal,
        fs_hz=float(fs_hz),
        channel_names=list(STANDARD_12_LEADS),
        units=[None] * _N_LEADS,
        source=source,
        notes=[
            f"{orientation}; lead order assumed to be the standard I, II, III, aVR, aVL, aVF, "
            "V1–V6 because the file has no lead names"
        ],
    )


def read_npy(path: Path, fs_hz: float | None) -> RawRecording:
    """Read a `.npy` file with `np.load(allow_pickle=False)` (no code runs from the file)."""
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ECGInputError(
            f"{path.name} is not a readable NumPy array file (pickled or damaged data are "
            f"refused): {error}"
        ) from error
    if not isinstance(array, np.ndarray):
        raise ECGInputError(f"Expected one array in {path.name}; found {type(array).__name__}.")
    raw = array_to_raw(array, fs_hz, path.name, f"The .npy file {path.name}")
    raw.file_info["format"] = "NumPy .npy"
    return raw
