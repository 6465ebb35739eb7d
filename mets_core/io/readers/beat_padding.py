"""Fill samples at the end of a stored representative beat ("no data" padding).

Some carts store each representative beat in a fixed-size buffer and pad what the beat does not
use with the 16-bit extreme 32767 (or -32768): the Philips PageWriter Touch files state 2400 ms
of beat but fill the last 1200 ms with 32767, and the HL7 aECG converted from one of them copies
those digits; the ECG Toolkit DICOM pads its 599-sample median beat with one -32768. Scaled,
the padding would read as an 80 mV step, so it is cut (and noted), never shown as signal.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FILL_DIGITS = (32767, -32768)


def trailing_fill_samples(digits: npt.NDArray[np.float64]) -> int:
    """Number of trailing columns in which every channel holds a 16-bit fill value.

    Args:
        digits: (C, W) raw stored integers (before scaling), one row per channel.

    Returns:
        How many samples at the end are padding (0 when none).
    """
    is_fill = np.isin(digits, FILL_DIGITS).all(axis=0)  # (W,)
    unused = np.flatnonzero(~is_fill)
    return int(is_fill.size - (unused[-1] + 1)) if unused.size else int(is_fill.size)


def fill_note(fill_samples: int, kept_samples: int, fs_hz: float) -> list[str]:
    """A note saying how much padding was cut from the file's representative beats."""
    if fill_samples == 0:
        return []
    samples = "sample" if fill_samples == 1 else "samples"
    return [
        f"the file's representative beats end in {fill_samples} {samples} of 16-bit fill "
        f"(no data); cut to the {kept_samples / fs_hz * 1000:.0f} ms actually stored"
    ]
