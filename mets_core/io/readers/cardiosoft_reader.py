"""GE CardioSoft XML resting ECG (`<CardiologyXML>`): the 10-s strip as comma-separated text.

Not to be confused with GE MUSE XML (`<RestingECG>`, base64 waveforms, `muse_reader.py`). A
CardioSoft export (e.g. CardioSoft V6.73 with the 12SL analysis, as in UK Biobank) may hold:

* `StripData`: the 10-s, 12-lead resting strip (`WaveformData lead="II"`: decimal digits
  separated by commas), with `SampleRate` (units Hz) and `Resolution` (units uVperLsb). This is
  what is read as the rhythm: it is the ECG the cart printed and that the 12SL measurements and
  interpretation describe (its `ArrhythmiaResults` beat times and `QRSNum` refer to it).
* `FullDisclosure`: a longer continuous recording (16 s in the sample, lines of 500 samples per
  lead in turn; a different stretch of time than the strip, with its own arrhythmia count). Not
  what a clinician calls "the ECG"; not read, but a note says that it exists.
* `RestingECGMeasurements/MedianSamples`: the 12SL median beats (600 samples at 500 Hz), read as
  `median_beats` with their own rate and resolution, never mixed into the rhythm.
* `VectorLoops` (X/Y/Z loops derived by Inverse Dower): not read.

Measurements and statements go to `file_info` (MUSE's names); `PatientInfo` to `patient_fields`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError
from mets_core.io.readers.patient_fields import (
    age_text,
    name_text,
    patient_fields,
    sex_text,
    stated,
)
from mets_core.io.readers.raw import RawMedianBeats, RawRecording, ignored_rate_notes
from mets_core.io.readers.sniff import xml_root_name
from mets_core.io.readers.xml_parse import child, children, local_name, parse_xml

FORMAT_NAME = "GE CardioSoft"
ROOT_NAME = "CardiologyXML"
MEDIAN_NAME = "CardioSoft median beats"
_REEXPORT = "Export the ECG again from CardioSoft; the file may be damaged or truncated."
_PER_DIGIT = re.compile(r"\s*(per|/)\s*(lsb|bit)$")  # "uVperLsb" -> "uV"
_VOLT_UNITS = {"v": "V", "mv": "mV", "uv": "uV", "µv": "uV", "μv": "uV", "nv": "nV"}
# RestingECGMeasurements element -> (name shown "from the file", unit the name promises).
_MEASUREMENTS: dict[str, tuple[str, str]] = {
    "VentricularRate": ("ventricular rate (bpm)", "bpm"),
    "RRInterval": ("RR interval (ms)", "ms"),
    "PPInterval": ("PP interval (ms)", "ms"),
    "PQInterval": ("PR interval (ms)", "ms"),
    "PDuration": ("P duration (ms)", "ms"),
    "QRSDuration": ("QRS duration (ms)", "ms"),
    "QTInterval": ("QT interval (ms)", "ms"),
    "QTCInterval": ("QTc (ms)", "ms"),
    "PAxis": ("P axis (°)", "degrees"),
    "RAxis": ("QRS axis (°)", "degrees"),
    "TAxis": ("T axis (°)", "degrees"),
}


@dataclass
class _Block:
    """One waveform block (StripData or MedianSamples) in physical units."""

    labels: list[str]
    signal: npt.NDArray[np.float64]  # (C, T) in `unit`
    fs_hz: float
    unit: str | None


def is_cardiosoft_xml(head: bytes) -> bool:
    """GE CardioSoft XML: root element <CardiologyXML> (MUSE's <RestingECG> is different)."""
    return xml_root_name(head) == ROOT_NAME


def _samples(element: Element, label: str, where: str) -> npt.NDArray[np.float64]:
    """Digits of one `WaveformData` element: decimal numbers separated by commas, shape (T,)."""
    tokens = [token.strip() for token in (element.text or "").split(",")]
    if tokens and not tokens[-1]:
        tokens.pop()  # CardioSoft ends each lead with a comma
    try:
        digits = np.asarray(tokens, dtype=np.float64)
    except ValueError:
        digits = np.full(1, np.nan)  # reported below, at the first token that is not a number
    if not np.all(np.isfinite(digits)):
        index, bad = next((i, t) for i, t in enumerate(tokens) if not _is_number(t))
        raise ECGInputError(
            f"{where}: lead {label} holds {bad!r} at sample {index + 1}, not a number. {_REEXPORT}"
        )
    return digits


def _is_number(text: str) -> bool:
    """True for a finite decimal number ('nan' and 'inf' are not samples)."""
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _units(element: Element | None) -> str:
    return (element.get("units") or "").strip() if element is not None else ""


def _stated_number(block: Element | None, tag: str, where: str) -> tuple[float, str] | None:
    """(value, lower-case units attribute) of a child element, None when absent or empty."""
    found = child(block, tag)
    text = _text(found)
    if not text:
        return None
    if not _is_number(text):
        raise ECGInputError(f"{where}: {tag} is {text!r}, not a number. {_REEXPORT}")
    return float(text), _units(found).lower()


def _rate_hz(block: Element, where: str) -> float:
    stated = _stated_number(block, "SampleRate", where)
    if stated is None:
        raise ECGInputError(f"{where} states no sampling rate (SampleRate). {_REEXPORT}")
    rate_hz, units = stated
    if units not in ("", "hz") or rate_hz <= 0:
        raise ECGInputError(
            f"{where}: SampleRate is {rate_hz:g} {units or 'Hz'}; expected a positive rate in Hz."
        )
    return rate_hz


def _resolution(block: Element, where: str) -> tuple[float, str | None]:
    """(units per digit, unit) from `Resolution units="uVperLsb"`; unit None if unstated."""
    stated = _stated_number(block, "Resolution", where)
    if stated is None:
        raise ECGInputError(
            f"{where} states no amplitude resolution (Resolution, e.g. 5 uVperLsb), so the "
            f"samples cannot be turned into voltages. {_REEXPORT}"
        )
    per_digit, units = stated
    unit = _VOLT_UNITS.get(_PER_DIGIT.sub("", units)) if units else None
    if (units and unit is None) or per_digit <= 0:
        raise ECGInputError(
            f"{where}: Resolution is {per_digit:g} {units!r}; expected a positive voltage per "
            "digit such as 5 uVperLsb."
        )
    return per_digit, unit


def _check_counts(block: Element, labels: list[str], lengths: list[int], where: str) -> None:
    """Equal lengths, and the lead and sample counts that the block states for itself."""
    if len(set(lengths)) > 1 or lengths[0] == 0:
        shown = ", ".join(f"{label} {n}" for label, n in zip(labels, lengths, strict=True))
        raise ECGInputError(
            f"{where}: the leads hold unequal numbers of samples ({shown}); expected one "
            f"non-zero length for all leads. {_REEXPORT}"
        )
    for tag, found in (("NumberOfLeads", len(labels)), ("ChannelSampleCountTotal", lengths[0])):
        stated = _stated_number(block, tag, where)
        if stated is not None and int(stated[0]) != found:
            raise ECGInputError(
                f"{where}: {tag} states {stated[0]:g} but the file holds {found}. {_REEXPORT}"
            )


def _read_block(block: Element, where: str) -> _Block:
    """Leads, rate and unit of a StripData or MedianSamples element."""
    waveforms = children(block, "WaveformData")
    if not waveforms:
        raise ECGInputError(f"{where} holds no waveform data (WaveformData). {_REEXPORT}")
    labels = [
        (w.get("lead") or "").strip() or f"(unnamed lead {i + 1})" for i, w in enumerate(waveforms)
    ]
    leads = [_samples(w, label, where) for w, label in zip(waveforms, labels, strict=True)]
    _check_counts(block, labels, [lead.size for lead in leads], where)
    per_digit, unit = _resolution(block, where)
    return _Block(labels, np.stack(leads) * per_digit, _rate_hz(block, where), unit)


def _median_beats(root: Element, name: str) -> tuple[RawMedianBeats | None, list[str]]:
    """The 12SL median beats, or None with a note saying why they were left out."""
    block = child(child(root, "RestingECGMeasurements"), "MedianSamples")
    if block is None:
        return None, []
    try:
        beats = _read_block(block, f"{name} (median beats)")
    except ECGInputError as error:
        return None, [f"the median beats stored in the file were not read: {error}"]
    units = [beats.unit] * len(beats.labels)
    return RawMedianBeats(beats.signal, beats.fs_hz, beats.labels, units, MEDIAN_NAME), []


def _full_disclosure_notes(root: Element) -> list[str]:
    """A note that the longer full-disclosure recording exists and was not read."""
    block = child(root, "FullDisclosure")
    if block is None:
        return []
    data = child(block, "FullDisclosureData")
    counts = [_text(child(data, "SampleCountTotal"))]
    counts += [_text(child(block, tag)) for tag in ("NumberOfChannels", "SampleRate")]
    length = ""  # a courtesy from the counts the block states; its samples are never read
    if all(count.isdigit() and int(count) > 0 for count in counts):
        length = f" of {int(counts[0]) / int(counts[1]) / int(counts[2]):g} s"
    return [
        f"the file also holds a full-disclosure recording{length} (FullDisclosure); not read: "
        "the 10-s strip is the ECG the device measured and interpreted"
    ]


def _statements(root: Element) -> dict[str, str]:
    """12SL statements; lines after a '---' separator (e.g. full-disclosure results) apart."""
    interpretation = child(root, "Interpretation")
    diagnosis, conclusion = child(interpretation, "Diagnosis"), child(interpretation, "Conclusion")
    found = children(diagnosis, "DiagnosisText") or children(conclusion, "ConclusionText")
    lines = [" ".join(_text(line).split()) for line in found]
    separator = next((i for i, line in enumerate(lines) if line and set(line) == {"-"}), None)
    parts = {"diagnosis statements": lines[:separator], "further statements": []}
    if separator is not None:
        parts["further statements"] = [line for line in lines[separator:] if set(line) != {"-"}]
    return {key: "; ".join(filter(None, part)) for key, part in parts.items() if any(part)}


def _file_info(root: Element) -> dict[str, str]:
    """Format, software, device measurements and statements as the file states them."""
    info = {"format": "GE CardioSoft XML"}
    device = child(child(root, "ClinicalInfo"), "DeviceInfo")
    software = [_text(child(device, tag)) for tag in ("Desc", "SoftwareVer")]
    info["software version"] = " ".join(filter(None, software))
    info["analysis program"] = _text(child(device, "AnalysisVer"))
    measurements = child(root, "RestingECGMeasurements")
    for tag, (label, unit) in _MEASUREMENTS.items():
        found = child(measurements, tag)
        stated_unit = _units(found) or unit  # a differing unit is shown, never relabelled
        info[label if stated_unit.lower() == unit else f"{tag} ({stated_unit})"] = _text(found)
    info["QRS complexes in the strip"] = _text(child(measurements, "QRSNum"))
    return {key: value for key, value in (info | _statements(root)).items() if value}


def _patient_fields(root: Element) -> dict[str, str]:
    """Identifiers from PatientInfo (name, patient ID, birth date, sex, age) where stated."""
    patient = child(root, "PatientInfo")
    name = child(patient, "Name")
    names = [_text(child(name, part)) for part in ("FamilyName", "GivenName")]
    date = child(patient, "BirthDateTime")
    birth = [(_text(child(date, tag)), n) for tag, n in (("Year", 4), ("Month", 2), ("Day", 2))]
    age = child(patient, "Age")
    return patient_fields(
        name=name_text(*names),
        patient_id=stated(_text(child(patient, "PID"))),
        birth_date="-".join(part.zfill(n) for part, n in birth if part),  # 1965-01-01
        sex=sex_text(_text(child(patient, "Gender"))),
        age=age_text(_text(age), _units(age)),
    )


def _strip_block(root: Element, name: str) -> Element:
    block = child(root, "StripData")
    if block is None:
        kind = _text(child(root, "ObservationType")) or "not stated"
        has_full = child(root, "FullDisclosure") is not None
        others = "; it has a full-disclosure recording only" if has_full else ""
        raise ECGInputError(
            f"{name} is a GE CardioSoft XML export (observation type {kind}) but holds no 10-s "
            f"rhythm strip (StripData){others}. Export the resting ECG again with its waveform "
            "(strip) data included."
        )
    return block


def read_cardiosoft_xml(path: Path, fs_hz: float | None) -> RawRecording:
    """Read the 10-s rhythm strip (`StripData`) of a GE CardioSoft XML file.

    Args:
        path: the `.xml` file whose root element is `CardiologyXML`.
        fs_hz: ignored except for a note when it disagrees with the file's rate.

    Returns:
        RawRecording with the stored leads (C, T) in the unit of `Resolution` (usually uV: digits
        x 5 uV), the 12SL median beats in `median_beats`, measurements and statements in
        `file_info`, and PatientInfo in `patient_fields`.

    Raises:
        ECGInputError: malformed or truncated XML, another root element, no StripData, a
            non-numeric sample, unequal lead lengths, or a missing rate or resolution.
    """
    root = parse_xml(path, FORMAT_NAME)
    if local_name(root) != ROOT_NAME:
        raise ECGInputError(f"{path.name} is XML but not a GE CardioSoft export (<{ROOT_NAME}>).")
    strip = _read_block(_strip_block(root, path.name), f"{path.name} (rhythm strip)")
    median, median_notes = _median_beats(root, path.name)
    duration_s = strip.signal.shape[1] / strip.fs_hz
    notes = [
        f"read as GE CardioSoft XML (StripData rhythm strip, {len(strip.labels)} stored leads, "
        f"{duration_s:g} s at {strip.fs_hz:g} Hz)"
    ]
    notes += ignored_rate_notes(strip.fs_hz, fs_hz) + _full_disclosure_notes(root) + median_notes
    return RawRecording(
        signal=strip.signal,
        fs_hz=strip.fs_hz,
        channel_names=strip.labels,
        units=[strip.unit] * len(strip.labels),
        source=path.name,
        notes=notes,
        file_info=_file_info(root),
        median_beats=median,
        patient_fields=_patient_fields(root),
    )
