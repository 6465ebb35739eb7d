"""HL7 v3 annotated ECG (FDA aECG, `<AnnotatedECG xmlns="urn:hl7-org:v3">`).

The signal is the rhythm series (`series/code` RHYTHM, else the first series); the
representative (median) beats live in a nested `derivedSeries` (code REPRESENTATIVE_BEAT) and go
to `RawRecording.median_beats`, never into the rhythm signal. Each
lead sequence is `value = origin + scale * digit`, with its own `scale` and `origin` (value and
unit, e.g. 5 uV): files converted from other formats use different scales per series, so the
scale is always read per sequence. The time sequence's `increment` (seconds) gives the rate.
Lead codes such as `MDC_ECG_LEAD_AVR` are mapped by name. Global measurements and statements
from the annotation sets go to `file_info`, the trial subject's identifiers only to
`patient_fields` (see `hl7_aecg_annotations`).
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError
from mets_core.io.readers.beat_padding import fill_note, trailing_fill_samples
from mets_core.io.readers.hl7_aecg_annotations import annotation_info, subject_patient_fields
from mets_core.io.readers.raw import RawMedianBeats, RawRecording, ignored_rate_notes
from mets_core.io.readers.units import millivolts_per_unit
from mets_core.io.readers.xml_parse import child, children, parse_xml

FORMAT_NAME = "HL7 aECG"
_LEAD_PREFIX = "MDC_ECG_LEAD_"
_SECONDS_PER_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def _code(element: Element | None) -> str:
    found = child(element, "code")
    return (found.get("code") or "").strip() if found is not None else ""


def _rhythm_series(root: Element, name: str) -> Element:
    """The series under AnnotatedECG/component coded RHYTHM (else the first); no derivedSeries."""
    series = [found for comp in children(root, "component") for found in children(comp, "series")]
    if not series:
        raise ECGInputError(f"{name} is HL7 aECG XML but holds no waveform series.")
    rhythm = [found for found in series if _code(found).upper() == "RHYTHM"]
    return (rhythm or series)[0]


def _representative_series(rhythm: Element) -> Element | None:
    """The rhythm series' derivedSeries coded REPRESENTATIVE_BEAT, or None."""
    derived = [
        found
        for derivation in children(rhythm, "derivation")
        for found in children(derivation, "derivedSeries")
    ]
    return next((found for found in derived if _code(found).upper() == "REPRESENTATIVE_BEAT"), None)


def _sequences(series: Element) -> list[Element]:
    """Sequences of the series' first sequenceSet (one per lead plus the time sequence)."""
    sets = [s for comp in children(series, "component") for s in children(comp, "sequenceSet")]
    if not sets:
        return []
    return [seq for comp in children(sets[0], "component") for seq in children(comp, "sequence")]


def _quantity_mv(element: Element | None, what: str, name: str) -> float:
    """A physical quantity (value + voltage unit) in millivolts; absent origin counts as 0."""
    if element is None:
        if what == "origin":
            return 0.0
        raise ECGInputError(f"{name}: a lead in the rhythm series has no {what}.")
    unit, value = element.get("unit") or "", element.get("value") or ""
    factor = millivolts_per_unit(unit)
    try:
        number = float(value)
    except ValueError as error:
        raise ECGInputError(f"{name}: the {what} '{value}' is not a number.") from error
    if factor is None:
        raise ECGInputError(
            f"{name}: the {what} unit '{unit}' is not a voltage unit (expected uV or mV)."
        )
    return number * factor


def _sampling_rate_hz(time_sequence: Element | None, name: str) -> float:
    value = child(time_sequence, "value")
    increment = child(value, "increment")
    if increment is None:
        raise ECGInputError(f"{name}: the rhythm series has no time increment, so no rate.")
    unit = (increment.get("unit") or "s").strip()
    try:
        step_s = float(increment.get("value") or "") * _SECONDS_PER_UNIT[unit]
    except (ValueError, KeyError) as error:
        raise ECGInputError(
            f"{name}: the time increment {increment.get('value')!r} {unit!r} is not a duration "
            "in seconds."
        ) from error
    if step_s <= 0:
        raise ECGInputError(f"{name}: the time increment must be positive; found {step_s:g} s.")
    return round(1.0 / step_s, 6)


def _lead(
    sequence: Element, name: str
) -> tuple[str, npt.NDArray[np.float64], float, npt.NDArray[np.float64]]:
    """(label, samples in mV, scale in uV, stored digits) of one lead sequence."""
    value = child(sequence, "value")
    digits = child(value, "digits")
    text = (digits.text or "") if digits is not None else ""
    label = _code(sequence)
    try:
        raw = np.array(text.split(), dtype=np.float64)
    except ValueError as error:
        raise ECGInputError(f"{name}: lead {label} holds values that are not numbers.") from error
    scale_mv = _quantity_mv(child(value, "scale"), "scale", name)
    origin_mv = _quantity_mv(child(value, "origin"), "origin", name)
    short = label[len(_LEAD_PREFIX) :] if label.upper().startswith(_LEAD_PREFIX) else label
    return short, origin_mv + scale_mv * raw, scale_mv * 1000.0, raw


def _series_leads(
    series: Element, name: str
) -> tuple[float, list[tuple[str, npt.NDArray[np.float64], float, npt.NDArray[np.float64]]]]:
    """(rate in Hz, non-empty leads) of one series, each lead with its own scale."""
    sequences = _sequences(series)
    time_sequence = next((s for s in sequences if _code(s).upper().startswith("TIME_")), None)
    rate_hz = _sampling_rate_hz(time_sequence, name)
    leads = [_lead(s, name) for s in sequences if s is not time_sequence]
    return rate_hz, [lead for lead in leads if lead[1].size]


def _median_beats(
    representative: Element | None, name: str
) -> tuple[RawMedianBeats | None, list[str]]:
    """The representative-beat series in mV (its own scale and rate), or None and a note."""
    if representative is None:
        return None, []
    try:
        rate_hz, leads = _series_leads(representative, name)
    except ECGInputError:
        leads = []
    if not leads or len({lead[1].size for lead in leads}) != 1:
        return None, ["the file's representative beats could not be read; they were left out"]
    fill = trailing_fill_samples(np.stack([lead[3] for lead in leads]))
    kept = leads[0][1].size - fill
    if kept == 0:
        return None, ["the file's representative beats hold only fill values (no data)"]
    return RawMedianBeats(
        signal=np.stack([lead[1][:kept] for lead in leads]),
        fs_hz=rate_hz,
        channel_names=[lead[0] for lead in leads],
        units=["mV"] * len(leads),
        description="HL7 aECG representative beat series",
    ), fill_note(fill, kept, rate_hz)


def read_hl7_aecg(path: Path, fs_hz: float | None) -> RawRecording:
    """Read the rhythm series of an HL7 aECG file, in millivolts.

    Args:
        path: the `.xml` file whose root element is `AnnotatedECG`.
        fs_hz: ignored except for a note when it disagrees with the file's rate.

    Returns:
        RawRecording with (C, T) samples in mV, lead labels without the `MDC_ECG_LEAD_` prefix,
        the representative beats (when stored) as `median_beats`, and `patient_fields`.

    Raises:
        ECGInputError: malformed XML, no rhythm series, missing increment or scale, leads of
            different lengths.
    """
    root = parse_xml(path, FORMAT_NAME)
    rhythm = _rhythm_series(root, path.name)
    rate_hz, leads = _series_leads(rhythm, path.name)
    if not leads:
        raise ECGInputError(f"{path.name} is HL7 aECG XML but its rhythm series holds no leads.")
    lengths = {lead[1].size for lead in leads}
    if len(lengths) > 1:
        raise ECGInputError(
            f"{path.name}: the rhythm leads have different lengths ({sorted(lengths)} samples); "
            "expected one length for all leads."
        )
    scales = ", ".join(f"{scale:g}" for scale in sorted({lead[2] for lead in leads}))
    notes = [f"read as HL7 aECG XML (rhythm series, scale {scales} µV per digit)"]
    notes += ignored_rate_notes(rate_hz, fs_hz)
    representative = _representative_series(rhythm)
    median_beats, median_notes = _median_beats(representative, path.name)
    return RawRecording(
        signal=np.stack([lead[1] for lead in leads]),
        fs_hz=rate_hz,
        channel_names=[lead[0] for lead in leads],
        units=["mV"] * len(leads),
        source=path.name,
        notes=notes + median_notes,
        file_info={"format": "HL7 aECG XML", **annotation_info(rhythm, representative)},
        median_beats=median_beats,
        patient_fields=subject_patient_fields(root),
    )
