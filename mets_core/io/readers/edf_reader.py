"""EDF and EDF+ files via `edfio` (pure Python): only the channels whose labels are ECG leads.

EDF files often mix ECG with EEG, respiration or SpO2 at other rates. We keep the channels whose
labels map to standard leads and bring them to one rate: the highest among them, resampling the
others with a polyphase filter (`mets_core.signal.resample_ecg`) and saying so in a note. The
patient and recording identification fields are never read into the record.
"""

from __future__ import annotations

from pathlib import Path

import edfio
import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError
from mets_core.io.readers.raw import RawRecording, ignored_rate_notes
from mets_core.leads import EXPECTED_LEADS_TEXT, inverted_lead_name, normalize_lead_name
from mets_core.signal.clean import resample_ecg


def _open(path: Path) -> edfio.Edf:
    try:  # Latin-1 accepts the "µV" some devices write despite EDF's ASCII rule
        edf = edfio.read_edf(path, lazy_load_data=False, header_encoding="latin-1")
    except (ValueError, IndexError, OSError, UnicodeDecodeError) as error:
        raise ECGInputError(f"{path.name} is not a readable EDF/EDF+ file: {error}") from error
    if not edf.is_continuous:
        raise ECGInputError(
            f"{path.name} is a discontinuous EDF+ recording (EDF+D, with gaps); export it as one "
            "continuous recording."
        )
    return edf


def _is_ecg(label: str) -> bool:
    return normalize_lead_name(label) is not None or inverted_lead_name(label) is not None


def _to_common_rate(
    rows: list[npt.NDArray[np.float64]], rates_hz: list[float], labels: list[str]
) -> tuple[npt.NDArray[np.float64], float, list[str]]:
    """Resample every row to the highest rate; return ((L, T), rate in Hz, notes)."""
    target = max(rates_hz)
    notes, out = [], []
    for row, rate, label in zip(rows, rates_hz, labels, strict=True):
        if np.isclose(rate, target):
            out.append(row)
            continue
        out.append(resample_ecg(row, fs_in_hz=rate, fs_out_hz=target).astype(np.float64))
        notes.append(f"channel {label} resampled {rate:g} -> {target:g} Hz to match the others")
    length = min(row.size for row in out)
    return np.stack([row[:length] for row in out]), target, notes


def read_edf(path: Path, fs_hz: float | None) -> RawRecording:
    """Read the ECG channels of an EDF/EDF+ file in their declared physical units.

    Args:
        path: the `.edf` file.
        fs_hz: ignored except for a note when it disagrees with the file's rate.

    Returns:
        RawRecording with the ECG channels (C, T) at one common rate.

    Raises:
        ECGInputError: an unreadable or discontinuous file, or no channel labelled as an ECG lead.
    """
    edf = _open(path)
    signals = list(edf.signals)
    ecg = [signal for signal in signals if _is_ecg(signal.label)]
    others = [
        signal.label.strip() or "(unnamed)" for signal in signals if not _is_ecg(signal.label)
    ]
    if not ecg:
        raise ECGInputError(
            f"Expected leads {EXPECTED_LEADS_TEXT}; this record has "
            f"{', '.join(others) or 'no signals'}."
        )
    labels = [signal.label.strip() for signal in ecg]
    rates = [float(signal.sampling_frequency) for signal in ecg]
    data, rate, notes = _to_common_rate([s.data.astype(np.float64) for s in ecg], rates, labels)
    rate = float(round(rate, 6))
    if others:
        notes.insert(0, f"dropped channels that are not ECG leads: {', '.join(others)}")
    notes += ignored_rate_notes(rate, fs_hz)
    kind = "EDF+" if str(edf.reserved).startswith("EDF+") else "EDF"
    record_s = float(edf.data_record_duration)
    notes.insert(0, f"read as {kind} ({len(ecg)} ECG channels, data records of {record_s:g} s)")
    return RawRecording(
        signal=data,
        fs_hz=rate,
        channel_names=labels,
        units=[signal.physical_dimension.strip() or None for signal in ecg],
        source=path.name,
        notes=notes,
        file_info={"format": kind},
    )
