"""MATLAB `.mat` signals: the PhysioNet/CinC convention (`val` in digital units + a WFDB `.hea`).

The CinC 2020/2021 challenge files store `val` as (leads, samples) integers; the `.hea` next to
the `.mat` gives gain and baseline per lead, so physical = (val - baseline) / gain. We read the
matrix with `scipy.io.loadmat` (MATLAB v4 and v5), which, unlike reading at a byte offset,
does not depend on how the matrix is laid out inside the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.io

from mets_core.errors import ECGInputError
from mets_core.io.readers.numpy_reader import array_to_raw
from mets_core.io.readers.raw import RawRecording

_WFDB_DEFAULT_GAIN = 200.0  # WFDB: a gain of 0 means "uncalibrated, use 200 per mV"


def load_mat_matrix(path: Path) -> npt.NDArray[np.generic]:
    """Return the `val` matrix of a .mat file (or its only 2-D numeric variable)."""
    try:
        variables = scipy.io.loadmat(path)
    except NotImplementedError as error:  # MATLAB v7.3 is HDF5
        raise ECGInputError(
            f"{path.name} is a MATLAB v7.3 file, which cannot be read; save it with "
            "`save(..., '-v7')` or export the ECG as WFDB or CSV."
        ) from error
    except (ValueError, TypeError, OSError) as error:
        raise ECGInputError(f"{path.name} is not a readable MATLAB .mat file: {error}") from error
    names = [name for name in variables if not name.startswith("__")]
    if "val" in variables:
        return variables["val"]
    matrices = [n for n in names if getattr(variables[n], "ndim", 0) == 2]
    if len(matrices) == 1:
        return variables[matrices[0]]
    raise ECGInputError(
        f"Expected {path.name} to hold the ECG in a variable named 'val' (PhysioNet/CinC "
        f"convention); found variables {', '.join(names) or 'none'}."
    )


def read_mat_with_header(
    mat_path: Path, n_sig: int, sig_len: int | None, adc_gain: list[float], baseline: list[int]
) -> npt.NDArray[np.float64]:
    """Read `val` and convert it to physical units with the header's gain and baseline.

    Args:
        mat_path: the .mat file named in the WFDB header.
        n_sig: number of leads the header declares.
        sig_len: number of samples the header declares (None if it does not say).
        adc_gain: digital units per physical unit, one per lead.
        baseline: digital value of 0 physical units, one per lead.

    Returns:
        (n_sig, T) float64 in the header's physical units.
    """
    val = np.asarray(load_mat_matrix(mat_path))
    if val.ndim != 2 or val.shape[0] != n_sig or (sig_len and val.shape[1] != sig_len):
        expected = f"{n_sig} leads × {sig_len if sig_len else 'any number of'} samples"
        raise ECGInputError(
            f"The header declares {expected}, but {mat_path.name} holds an array of shape "
            f"{val.shape}. The .hea and .mat files do not belong together."
        )
    gain = np.array([g if g else _WFDB_DEFAULT_GAIN for g in adc_gain], dtype=np.float64)
    return (val.astype(np.float64) - np.asarray(baseline, dtype=np.float64)[:, None]) / gain[
        :, None
    ]


def read_bare_mat(path: Path, fs_hz: float | None) -> RawRecording:
    """Read a .mat that has no .hea: a nameless 12-lead matrix, like a .npy file."""
    raw = array_to_raw(load_mat_matrix(path), fs_hz, path.name, f"The .mat file {path.name}")
    raw.notes.append(f"no {path.stem}.hea header found next to {path.name}; gains unknown")
    raw.file_info["format"] = "MATLAB .mat (no header)"
    return raw
