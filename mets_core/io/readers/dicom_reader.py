"""DICOM waveform (12-lead ECG, General ECG and Hemodynamic Waveform Storage) via `pydicom`.

A file may hold several multiplex groups: the rhythm strip and a median beat (labelled
"MEDIAN BEAT", WaveformOriginality DERIVED). The rhythm group is the signal: the group labelled
RHYTHM when there is a label, else the longest ORIGINAL group; a median beat is never read as
rhythm but goes, with the same channel and unit rules, to `RawRecording.median_beats`.
`Dataset.waveform_array` applies ChannelSensitivity, the sensitivity correction factor and the
channel baseline; the unit comes from ChannelSensitivityUnitsSequence (UCUM: uV, mV).
Lead labels come from the channel source code meaning ("Lead I (Einthoven)", "aVR") and are
mapped by name later. Device measurements (coded concept + NumericValue + units, converted to
the shared keys) and text statements from WaveformAnnotationSequence go to `file_info`; the
patient's name, ID, birth date, sex and age go only to `patient_fields`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.waveforms.numpy_handler import multiplex_array

from mets_core.errors import ECGInputError
from mets_core.io.readers.beat_padding import fill_note, trailing_fill_samples
from mets_core.io.readers.device_measurements import add_measurement
from mets_core.io.readers.patient_fields import (
    birth_date_text,
    dicom_age_text,
    name_text,
    patient_fields,
    sex_text,
    stated,
)
from mets_core.io.readers.raw import RawMedianBeats, RawRecording, ignored_rate_notes

FORMAT_NAME = "DICOM waveform"
_LABEL_DECORATION = re.compile(
    r"^\s*lead\s+|\s*\([^)]*\)\s*$", re.IGNORECASE
)  # "Lead I (Einthoven)"
_SOP_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.9.1.1": "12-lead ECG",
    "1.2.840.10008.5.1.4.1.1.9.1.2": "General ECG",
    "1.2.840.10008.5.1.4.1.1.9.2.1": "Hemodynamic",
}
# Annotation concept code (SCP-ECG or LOINC) -> shared file_info key.
_MEASUREMENT_CODES: dict[str, str] = {
    "5.10.2.5-1": "ventricular rate (bpm)",
    "8867-4": "ventricular rate (bpm)",
    "5.10.2.1-3": "RR interval (ms)",
    "5.13.5-7": "PR interval (ms)",
    "8625-6": "PR interval (ms)",
    "5.13.5-9": "QRS duration (ms)",
    "8633-0": "QRS duration (ms)",
    "5.13.5-11": "QT interval (ms)",
    "8634-8": "QT interval (ms)",
    "5.10.2.5-5": "QTc (ms)",
    "8636-3": "QTc (ms)",
    "5.10.3-11": "P axis (°)",
    "8626-4": "P axis (°)",
    "5.10.3-13": "QRS axis (°)",
    "8632-2": "QRS axis (°)",
    "5.10.3-15": "T axis (°)",
    "8638-1": "T axis (°)",
}
# Concept meaning (lower case) -> key, for files that use other coding schemes.
_MEASUREMENT_MEANINGS: dict[str, str] = {
    "heart rate": "ventricular rate (bpm)",
    "ventricular rate": "ventricular rate (bpm)",
    "ventricular heart rate": "ventricular rate (bpm)",
    "atrial heart rate": "atrial rate (bpm)",
    "rr interval": "RR interval (ms)",
    "pr interval": "PR interval (ms)",
    "qrs duration": "QRS duration (ms)",
    "qt interval": "QT interval (ms)",
    "qtc interval": "QTc (ms)",
    "p axis": "P axis (°)",
    "qrs axis": "QRS axis (°)",
    "t axis": "T axis (°)",
}


def _read_dataset(path: Path) -> Dataset:
    try:
        return pydicom.dcmread(path)
    except (InvalidDicomError, EOFError, ValueError, KeyError, OSError) as error:
        raise ECGInputError(
            f"{path.name} starts like a DICOM file but could not be read ({error}); it may be "
            "damaged or truncated. Export it again."
        ) from error


def _check_sop_class(dataset: Dataset, name: str) -> str:
    """Return the waveform kind ("12-lead ECG", ...) or refuse other DICOM objects."""
    uid = str(dataset.get("SOPClassUID", ""))
    if uid in _SOP_CLASSES:
        return _SOP_CLASSES[uid]
    described = getattr(dataset.get("SOPClassUID"), "name", "") or uid or "unknown"
    raise ECGInputError(
        f"{name} is a DICOM file of type '{described}', not an ECG waveform. METS reads DICOM "
        "12-lead ECG, General ECG and Hemodynamic waveform files."
    )


def _is_median(group: Dataset) -> bool:
    label = str(group.get("MultiplexGroupLabel", "")).upper()
    return "MEDIAN" in label or str(group.get("WaveformOriginality", "")).upper() == "DERIVED"


def _duration_s(group: Dataset) -> float:
    rate_hz = float(group.get("SamplingFrequency", 0) or 0)
    return int(group.get("NumberOfWaveformSamples", 0) or 0) / rate_hz if rate_hz > 0 else 0.0


def _rhythm_index(dataset: Dataset, name: str) -> int:
    """Index of the rhythm multiplex group: labelled RHYTHM, else the longest non-median one."""
    groups = list(dataset.get("WaveformSequence", []))
    if not groups:
        raise ECGInputError(f"{name} is a DICOM ECG file but holds no waveform data.")
    for index, group in enumerate(groups):
        if "RHYTHM" in str(group.get("MultiplexGroupLabel", "")).upper():
            return index
    rhythm = [index for index, group in enumerate(groups) if not _is_median(group)]
    if not rhythm:
        labels = ", ".join(str(g.get("MultiplexGroupLabel", "") or "unlabelled") for g in groups)
        raise ECGInputError(
            f"{name} holds only median beats ({labels}), no rhythm strip; a median beat alone "
            "cannot be read as an ECG recording."
        )
    return max(rhythm, key=lambda index: _duration_s(groups[index]))


def _code_meaning(item: Dataset, keyword: str) -> str:
    sequence = item.get(keyword)
    return str(sequence[0].get("CodeMeaning", "") or "").strip() if sequence else ""


def _code_value(item: Dataset, keyword: str) -> str:
    sequence = item.get(keyword)
    return str(sequence[0].get("CodeValue", "") or "").strip() if sequence else ""


def _channel(channel: Dataset, index: int) -> tuple[str, str | None]:
    """(label, unit) of one channel; the unit is None when no sensitivity is given."""
    label = _code_meaning(channel, "ChannelSourceSequence")
    label = label or str(channel.get("ChannelLabel", "") or "").strip()
    label = _LABEL_DECORATION.sub("", label) or label
    unit = _code_value(channel, "ChannelSensitivityUnitsSequence") or None
    if channel.get("ChannelSensitivity") is None:
        unit = None
    return label or f"(unnamed channel {index + 1})", unit


def _group_signal(dataset: Dataset, index: int, name: str) -> npt.NDArray[np.float64]:
    """(C, T) samples of one multiplex group with sensitivity, correction and baseline applied."""
    try:
        samples = dataset.waveform_array(index)
    except (AttributeError, KeyError, ValueError, TypeError) as error:
        raise ECGInputError(
            f"{name}: the DICOM waveform data could not be decoded ({error}); the file may be "
            "damaged or use an unsupported sample format."
        ) from error
    return np.asarray(samples, dtype=np.float64).T


def _measurement_key(item: Dataset) -> str | None:
    key = _MEASUREMENT_CODES.get(_code_value(item, "ConceptNameCodeSequence"))
    return key or _MEASUREMENT_MEANINGS.get(_code_meaning(item, "ConceptNameCodeSequence").lower())


def _file_info(dataset: Dataset, kind: str) -> dict[str, str]:
    """Format, device, measurements and statements as the file states them (no patient data)."""
    info = {"format": f"DICOM {kind} waveform"}
    device = " ".join(
        str(dataset.get(keyword, "") or "").strip()
        for keyword in ("Manufacturer", "ManufacturerModelName")
    ).strip()
    if device:
        info["device"] = device
    statements = []
    for item in dataset.get("WaveformAnnotationSequence", []):
        text = str(item.get("UnformattedTextValue", "") or "").strip()
        if text:
            statements.append(text)
        key, value = _measurement_key(item), item.get("NumericValue")
        if key and value is not None:
            unit = _code_value(item, "MeasurementUnitsCodeSequence")
            add_measurement(info, key, value, unit)
    if statements:
        info["diagnosis statements"] = "; ".join(statements)
    return info


def _patient_fields(dataset: Dataset) -> dict[str, str]:
    """Patient identifiers from the Patient module (kept apart from everything else)."""
    name = str(dataset.get("PatientName", "") or "").partition("=")[0]  # alphabetic group
    family, _, rest = name.partition("^")
    given, _, middle = rest.partition("^")
    return patient_fields(
        name=name_text(family, given, middle.partition("^")[0]),
        patient_id=stated(str(dataset.get("PatientID", "") or "")),
        birth_date=birth_date_text(str(dataset.get("PatientBirthDate", "") or "")),
        sex=sex_text(str(dataset.get("PatientSex", "") or "")),
        age=dicom_age_text(str(dataset.get("PatientAge", "") or "")),
    )


def _median_index(dataset: Dataset, rhythm_index: int) -> int | None:
    groups = list(dataset.get("WaveformSequence", []))
    found = [i for i, group in enumerate(groups) if i != rhythm_index and _is_median(group)]
    return found[0] if found else None


def _median_beats(
    dataset: Dataset, rhythm_index: int, name: str
) -> tuple[RawMedianBeats | None, list[str]]:
    """The median-beat multiplex group as stored (fill padding cut), or None and a note."""
    index = _median_index(dataset, rhythm_index)
    if index is None:
        return None, []
    group = dataset.WaveformSequence[index]
    rate_hz = float(group.get("SamplingFrequency", 0) or 0)
    try:
        signal = _group_signal(dataset, index, name)
        digits = np.asarray(multiplex_array(dataset, index, as_raw=True), dtype=np.float64).T
    except (ECGInputError, AttributeError, KeyError, ValueError, TypeError):
        signal = digits = np.empty((0, 0))
    kept = signal.shape[1] - trailing_fill_samples(digits) if digits.shape == signal.shape else 0
    if rate_hz <= 0 or kept <= 0:
        return None, ["the file's median beats could not be decoded; they were left out"]
    channels = [_channel(item, i) for i, item in enumerate(group.ChannelDefinitionSequence)]
    label = str(group.get("MultiplexGroupLabel", "") or "").strip() or "unlabelled"
    beats = RawMedianBeats(
        signal=signal[:, :kept],
        fs_hz=rate_hz,
        channel_names=[channel[0] for channel in channels],
        units=[channel[1] for channel in channels],
        description=f"DICOM median beat (multiplex group {index + 1}: {label})",
    )
    return beats, fill_note(signal.shape[1] - kept, kept, rate_hz)


def read_dicom(path: Path, fs_hz: float | None) -> RawRecording:
    """Read the rhythm multiplex group of a DICOM ECG or hemodynamic waveform file.

    Args:
        path: a DICOM file (`DICM` at byte 128).
        fs_hz: ignored except for a note when it disagrees with the file's SamplingFrequency.

    Returns:
        RawRecording with the group's channels (C, T) in their declared unit (uV or mV), the
        median-beat group (when stored) as `median_beats`, and `patient_fields`.

    Raises:
        ECGInputError: unreadable DICOM, not a waveform SOP class, only median beats, no rate,
            or undecodable waveform data.
    """
    dataset = _read_dataset(path)
    kind = _check_sop_class(dataset, path.name)
    index = _rhythm_index(dataset, path.name)
    group = dataset.WaveformSequence[index]
    rate_hz = float(group.get("SamplingFrequency", 0) or 0)
    if rate_hz <= 0:
        raise ECGInputError(f"{path.name}: the DICOM waveform states no positive sampling rate.")
    channels = [_channel(item, i) for i, item in enumerate(group.ChannelDefinitionSequence)]
    signal = _group_signal(dataset, index, path.name)
    label = str(group.get("MultiplexGroupLabel", "") or "").strip() or "unlabelled"
    notes = [f"read as DICOM {kind} waveform (multiplex group {index + 1}: {label})"]
    notes += ignored_rate_notes(rate_hz, fs_hz)
    median_beats, median_notes = _median_beats(dataset, index, path.name)
    return RawRecording(
        signal=signal,
        fs_hz=rate_hz,
        channel_names=[channel[0] for channel in channels],
        units=[channel[1] for channel in channels],
        source=path.name,
        notes=notes + median_notes,
        file_info=_file_info(dataset, kind),
        median_beats=median_beats,
        patient_fields=_patient_fields(dataset),
    )
