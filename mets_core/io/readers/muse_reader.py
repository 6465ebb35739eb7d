"""GE MUSE XML resting ECG (`<RestingECG>`): the rhythm waveform, base64 int16 little-endian.

MUSE stores 8 leads (I, II, V1-V6); III, aVR, aVL and aVF are derived later by the shared rules in
`assemble.build_record`, which notes it. Each lead carries `LeadAmplitudeUnitsPerBit` (e.g. 4.88)
and `LeadAmplitudeUnits` (MICROVOLTS); the rate is `SampleBase` x 10^`SampleExponent`. The
median beat (`WaveformType` Median) is never read as rhythm. `LeadDataCRC32`, when present, is
checked. Device measurements and diagnosis statements go to `file_info`; the patient's name, ID,
birth date, sex and age go only to `patient_fields` (hidden unless the user asks). GE CardioSoft
XML (`<CardiologyXML>`) is a different format, read by `cardiosoft_reader`.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError
from mets_core.io.readers.device_measurements import add_measurement
from mets_core.io.readers.patient_fields import (
    age_text,
    name_text,
    patient_fields,
    sex_text,
    stated,
)
from mets_core.io.readers.raw import RawMedianBeats, RawRecording, ignored_rate_notes
from mets_core.io.readers.xml_parse import child, child_text, children, parse_xml

FORMAT_NAME = "GE MUSE"
_UNITS = {"MICROVOLTS": "uV", "MILLIVOLTS": "mV", "VOLTS": "V", "NANOVOLTS": "nV"}
# RestingECGMeasurements element -> name shown "from the file" (values as the file states them).
_MEASUREMENTS: dict[str, str] = {
    "VentricularRate": "ventricular rate (bpm)",
    "AtrialRate": "atrial rate (bpm)",
    "PRInterval": "PR interval (ms)",
    "QRSDuration": "QRS duration (ms)",
    "QTInterval": "QT interval (ms)",
    "QTCorrected": "QTc (ms)",
    "PAxis": "P axis (°)",
    "RAxis": "QRS axis (°)",
    "TAxis": "T axis (°)",
}


def _number(text: str | None, what: str, name: str) -> float:
    try:
        return float(text or "")
    except ValueError as error:
        raise ECGInputError(f"{name}: {what} is {text!r}, not a number.") from error


def _rhythm_waveform(root: Element, name: str) -> Element:
    waveforms = children(root, "Waveform")
    rhythm = [w for w in waveforms if (child_text(w, "WaveformType") or "").lower() == "rhythm"]
    if not rhythm:
        found = ", ".join(child_text(w, "WaveformType") or "?" for w in waveforms) or "none"
        raise ECGInputError(
            f"{name} is GE MUSE XML but has no rhythm waveform (found waveforms: {found}); "
            "a median beat alone cannot be read as an ECG recording."
        )
    return rhythm[0]


def _median_beats(root: Element, name: str) -> RawMedianBeats | None:
    """The `Median` waveform as stored (8 leads, usually 600 samples), or None when absent."""
    waveform = next(
        (w for w in children(root, "Waveform") if child_text(w, "WaveformType") == "Median"), None
    )
    leads = [_lead(lead, name) for lead in children(waveform, "LeadData")]
    if waveform is None or not leads or len({lead[1].size for lead in leads}) != 1:
        return None
    return RawMedianBeats(
        signal=np.stack([lead[1] for lead in leads]),
        fs_hz=_rate_hz(waveform, name),
        channel_names=[lead[0] for lead in leads],
        units=[lead[2] for lead in leads],
        description="MUSE Median waveform",
    )


def _rate_hz(waveform: Element, name: str) -> float:
    base = _number(child_text(waveform, "SampleBase"), "SampleBase", name)
    exponent = _number(child_text(waveform, "SampleExponent") or "0", "SampleExponent", name)
    rate_hz = base * 10.0**exponent
    if rate_hz <= 0:
        raise ECGInputError(f"{name}: the sampling rate must be positive; found {rate_hz:g} Hz.")
    return rate_hz


def _lead_samples(lead: Element, label: str, name: str) -> npt.NDArray[np.float64]:
    """Decode one lead's base64 int16 LE samples and check byte count and CRC32."""
    try:
        data = base64.b64decode(child_text(lead, "WaveFormData") or "", validate=False)
    except (binascii.Error, ValueError) as error:
        raise ECGInputError(f"{name}: lead {label} holds damaged base64 data.") from error
    expected = child_text(lead, "LeadByteCountTotal")
    if expected is not None and int(_number(expected, "LeadByteCountTotal", name)) != len(data):
        raise ECGInputError(
            f"{name}: lead {label} should hold {expected} bytes but holds {len(data)}; the file "
            "is damaged or truncated."
        )
    crc = child_text(lead, "LeadDataCRC32")
    if crc is not None and crc.isdigit() and int(crc) != zlib.crc32(data):
        raise ECGInputError(
            f"{name}: lead {label} fails its CRC32 check; the file is damaged. Export it again."
        )
    if len(data) % 2:
        raise ECGInputError(f"{name}: lead {label} has an odd number of bytes for 16-bit samples.")
    return np.frombuffer(data, dtype="<i2").astype(np.float64)


def _lead(lead: Element, name: str) -> tuple[str, npt.NDArray[np.float64], str | None]:
    """(label, samples in the declared unit, unit) of one LeadData element."""
    label = child_text(lead, "LeadID") or "(unnamed lead)"
    samples = _lead_samples(lead, label, name)
    per_bit = _number(
        child_text(lead, "LeadAmplitudeUnitsPerBit"), "LeadAmplitudeUnitsPerBit", name
    )
    unit_text = (child_text(lead, "LeadAmplitudeUnits") or "").upper()
    return label, samples * per_bit, _UNITS.get(unit_text, unit_text or None)


def _patient_fields(root: Element) -> dict[str, str]:
    """Patient identifiers from PatientDemographics (kept apart from everything else)."""
    demographics = child(root, "PatientDemographics")
    return patient_fields(
        name=name_text(
            child_text(demographics, "PatientLastName"),
            child_text(demographics, "PatientFirstName"),
        ),
        patient_id=stated(child_text(demographics, "PatientID")),
        birth_date=stated(child_text(demographics, "DateofBirth")),
        sex=sex_text(child_text(demographics, "Gender")),
        age=age_text(child_text(demographics, "PatientAge"), child_text(demographics, "AgeUnits")),
    )


def _statement_lines(diagnosis: Element | None) -> str:
    """Diagnosis statements as the cart prints them: fragments joined, lines split at ENDSLINE."""
    lines, current = [], ""
    for statement in children(diagnosis, "DiagnosisStatement"):
        text = child_text(statement, "StmtText") or ""
        current = f"{current}{'' if text.startswith(',') else ' '}{text}".strip()
        flags = {(flag.text or "").strip() for flag in children(statement, "StmtFlag")}
        if "ENDSLINE" in flags and current:
            lines.append(current)
            current = ""
    return "; ".join([*lines, current] if current else lines)


def _file_info(root: Element) -> dict[str, str]:
    """Format, device measurements and statements as the file states them (no patient data)."""
    info = {"format": "GE MUSE XML"}
    version = child_text(child(root, "MuseInfo"), "MuseVersion")
    if version:
        info["MUSE version"] = version
    measurements = child(root, "RestingECGMeasurements")
    for tag, label in _MEASUREMENTS.items():
        add_measurement(info, label, child_text(measurements, tag))
    text = _statement_lines(child(root, "Diagnosis"))
    if text:
        info["diagnosis statements"] = text
    return info


def read_muse_xml(path: Path, fs_hz: float | None) -> RawRecording:
    """Read the rhythm waveform of a GE MUSE XML file.

    Args:
        path: the `.xml` file whose root element is `RestingECG`.
        fs_hz: ignored except for a note when it disagrees with the file's rate.

    Returns:
        RawRecording with the stored leads (C, T) in their declared unit (usually uV).

    Raises:
        ECGInputError: malformed XML, no rhythm waveform, damaged lead data, unequal lengths.
    """
    root = parse_xml(path, FORMAT_NAME)
    waveform = _rhythm_waveform(root, path.name)
    rate_hz = _rate_hz(waveform, path.name)
    leads = [_lead(lead, path.name) for lead in children(waveform, "LeadData")]
    if not leads:
        raise ECGInputError(f"{path.name} is GE MUSE XML but its rhythm waveform has no leads.")
    lengths = sorted({lead[1].size for lead in leads})
    if len(lengths) > 1 or lengths[0] == 0:
        raise ECGInputError(
            f"{path.name}: the rhythm leads have lengths {lengths} samples; expected one "
            "non-zero length for all leads."
        )
    notes = [f"read as GE MUSE XML (rhythm waveform, {len(leads)} stored leads)"]
    notes += ignored_rate_notes(rate_hz, fs_hz)
    return RawRecording(
        signal=np.stack([lead[1] for lead in leads]),
        fs_hz=rate_hz,
        channel_names=[lead[0] for lead in leads],
        units=[lead[2] for lead in leads],
        source=path.name,
        notes=notes,
        file_info=_file_info(root),
        median_beats=_median_beats(root, path.name),
        patient_fields=_patient_fields(root),
    )
