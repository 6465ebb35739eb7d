"""SCP-ECG sample decoding: Huffman or raw 16-bit values, undoing first or second differences,
and adding the reference beat back where the rhythm was stored as a residual (sections 4-6).

All arrays here are in stored units (multiply by the section's AVM for nanovolts) except where a
name says `_nv`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError
from mets_core.io.readers.scp_huffman import HuffmanCode, decode_huffman
from mets_core.io.readers.scp_sections import QRSLocations

Tables = list[tuple[HuffmanCode, ...]] | None  # None: no section 2, samples are raw int16


def undo_differences(values: npt.NDArray[np.int64], order: int) -> npt.NDArray[np.int64]:
    """Rebuild samples from first (order 1) or second (order 2) differences.

    With second differences the first two values are samples and each later value is
    x[n] - 2 x[n-1] + x[n-2]; with first differences the first value is a sample and each later
    one is x[n] - x[n-1].

    Args:
        values: (N,) stored values.
        order: 0, 1 or 2.

    Returns:
        (N,) int64 samples.
    """
    if order == 0 or values.size < 2:
        return values
    if order == 1:
        return np.cumsum(values)
    slopes = np.cumsum(np.concatenate([values[1:2] - values[:1], values[2:]]))
    return values[0] + np.concatenate([[0], np.cumsum(slopes)])


def decode_lead(
    data: bytes, count: int, tables: Tables, order: int, name: str
) -> npt.NDArray[np.int64]:
    """Decode one lead: at most `count` samples (raw data may hold fewer; the caller checks).

    Args:
        data: the lead's bytes from section 5 or 6.
        count: samples the lead should hold.
        tables: Huffman tables from section 2, or None for raw little-endian int16.
        order: difference order stated by the section (0, 1, 2).
        name: file name for messages.

    Returns:
        (n,) int64 samples in stored units, n <= count.
    """
    if tables is None:
        stored = np.frombuffer(data[: 2 * (min(count, len(data) // 2))], dtype="<i2")
        values = stored.astype(np.int64)
    else:
        values = decode_huffman(data, count, tables, name)
    return undo_differences(values, order)


def add_reference_beat(
    residual_nv: npt.NDArray[np.float64],
    reference_nv: npt.NDArray[np.float64],
    qrs: QRSLocations,
    lead_start: int,
) -> int:
    """Add the reference beat back into the residual rhythm at every type-0 QRS, in place.

    The standard stores the rhythm minus the reference beat inside each subtraction zone
    [start, end] (1-based sample numbers); the reference beat sample aligned with a zone's
    start is `reference fiducial - QRS fiducial + start` (1-based).

    Args:
        residual_nv: (C, T) residual rhythm in nV, becomes the rhythm.
        reference_nv: (C, W) reference beat in nV at the rhythm's sample rate.
        qrs: section 4.
        lead_start: 1-based sample number of the first rhythm sample (section 3).

    Returns:
        The number of QRS complexes where the beat was added.
    """
    added = 0
    for beat_type, start, fiducial, end in qrs.beats:
        if beat_type != 0 or end < start:
            continue
        rhythm_at = start - lead_start
        reference_at = qrs.reference_fiducial - fiducial + start - 1
        skip = max(0, -rhythm_at, -reference_at)
        length = min(
            end - start + 1 - skip,
            reference_nv.shape[1] - reference_at - skip,
            residual_nv.shape[1] - rhythm_at - skip,
        )
        if length <= 0:
            continue
        rhythm_slice = slice(rhythm_at + skip, rhythm_at + skip + length)
        reference_slice = slice(reference_at + skip, reference_at + skip + length)
        residual_nv[:, rhythm_slice] += reference_nv[:, reference_slice]
        added += 1
    return added


def refuse_bimodal(name: str) -> ECGInputError:
    """The error for rhythm data decimated outside the QRS (bimodal compression)."""
    return ECGInputError(
        f"{name} is an SCP-ECG file whose rhythm was stored with bimodal compression (the "
        "signal between QRS complexes was kept at a reduced sampling rate). METS cannot "
        "restore such a signal faithfully and does not read it, rather than show a distorted "
        "ECG. Export the ECG again without bimodal compression (a lossless SCP-ECG setting), or "
        "as HL7 aECG XML, DICOM or EDF if the device offers one of those."
    )
