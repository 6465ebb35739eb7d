"""Philips Sierra ECG / PageWriter XML (`<restingecgdata>`, schema 1.03-1.04.02) via `sierraecg`.

The rhythm leads are XLI-compressed (LZW plus second differences) in one base64 block, and
III, aVR, aVL and aVF are stored as residuals against I and II; the MIT-licensed `sierraecg`
package decodes both (it parses with defusedxml and reads UTF-8 and UTF-16 LE/BE files). This
module adds what `sierraecg` leaves out: the amplitude resolution (µV per digit, from
`parsedwaveforms/@resolution` in 1.04, `signalcharacteristics/signalresolution` in 1.03), the
device statements and measurements (the interpretation's `globalmeasurements`, 1.03
`interpretationmeasurements`, then the 1.03 `measurements/globalmeasurements`), and errors a
clinician understands. Representative beats (`<repbeats>`: uncompressed base64 int16 per lead,
with their own `samplespersec` and `resolution`, absent in the 1.03 sample) are decoded by
`sierraecg` and go to `median_beats`, never into the rhythm. The patient's ID, name, birth date,
sex and age (`patient/generalpatientdata`) go only to `patient_fields`.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np
import numpy.typing as npt
import sierraecg

from mets_core.errors import ECGInputError
from mets_core.io.readers.beat_padding import fill_note, trailing_fill_samples
from mets_core.io.readers.device_measurements import add_measurement
from mets_core.io.readers.patient_fields import (
    age_text,
    birth_date_text,
    name_text,
    patient_fields,
    sex_text,
    stated,
)
from mets_core.io.readers.raw import RawMedianBeats, RawRecording, ignored_rate_notes
from mets_core.io.readers.xml_parse import parse_xml

FORMAT_NAME = "Philips XML"
# Measurement element (1.04 globalmeasurements, 1.03 interpretationmeasurements) -> shared key;
# values are stated in bpm, ms and degrees.
_MEASUREMENTS: dict[str, str] = {
    "heartrate": "ventricular rate (bpm)",
    "meanventrate": "ventricular rate (bpm)",
    "atrialrate": "atrial rate (bpm)",
    "rrint": "RR interval (ms)",
    "print": "PR interval (ms)",
    "meanprint": "PR interval (ms)",
    "qrsdur": "QRS duration (ms)",
    "meanqrsdur": "QRS duration (ms)",
    "qtint": "QT interval (ms)",
    "meanqtint": "QT interval (ms)",
    "qtcb": "QTc (ms)",
    "meanqtc": "QTc (ms)",
    "pfrontaxis": "P axis (°)",
    "qrsfrontaxis": "QRS axis (°)",
    "tfrontaxis": "T axis (°)",
}
_MEASUREMENT_BLOCKS = ("globalmeasurements", "interpretationmeasurements")
_NAME_PARTS = ("lastname", "firstname", "middlename")


def _local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _first(root: Element | None, tag: str) -> Element | None:
    if root is None:
        return None
    return next((element for element in root.iter() if _local(element) == tag), None)


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _resolution_uv(root: Element, name: str) -> float:
    """Microvolts per digit of the rhythm leads, as the file states it."""
    waveforms = _first(root, "parsedwaveforms")
    stated = waveforms.get("resolution") if waveforms is not None else None
    stated = stated or _text(_first(_first(root, "signalcharacteristics"), "signalresolution"))
    try:
        resolution_uv = float(stated or "")
    except ValueError:
        resolution_uv = 0.0
    if resolution_uv <= 0:
        raise ECGInputError(
            f"{name} is Philips XML but states no amplitude resolution (µV per digit; found "
            f"{stated!r}), so its voltages cannot be known."
        )
    return resolution_uv


def _decode(path: Path) -> sierraecg.SierraEcgFile:
    try:
        return sierraecg.read_file(str(path), include_repbeats=True)
    except sierraecg.UnsupportedXmlFileError as error:
        raise ECGInputError(
            f"{path.name} is Philips XML of an unsupported kind ({error}); METS reads schema "
            "versions 1.03 to 1.04.02 with Base64 XLI or uncompressed waveforms."
        ) from error
    except (sierraecg.MissingXmlElementError, sierraecg.MissingXmlAttributeError) as error:
        raise ECGInputError(
            f"{path.name} is Philips XML but lacks the required element or attribute "
            f"'{error}'; the file may be truncated. Export it again."
        ) from error
    except (ValueError, IndexError, TypeError, OverflowError) as error:
        raise ECGInputError(
            f"{path.name} is Philips XML but its waveform data could not be decoded ({error}); "
            "the file may be damaged. Export it again."
        ) from error


def _rhythm(decoded: sierraecg.SierraEcgFile, name: str) -> npt.NDArray[np.float64]:
    """(C, T) rhythm digits, trimmed to the stated duration per channel; short leads refused."""
    leads = decoded.leads
    rate_hz = float(leads[0].sampling_freq)
    expected = int(round(leads[0].duration * rate_hz / 1000.0))
    lengths = sorted({lead.samples.size for lead in leads})
    if lengths[0] == 0 or lengths[0] < expected:
        raise ECGInputError(
            f"{name}: the Philips leads decode to lengths {lengths} samples; expected "
            f"{expected} for every lead. The file may be damaged."
        )
    length = expected if expected > 0 else lengths[0]
    return np.stack([lead.samples[:length].astype(np.float64) for lead in leads])


def _measurement_blocks(root: Element) -> list[Element]:
    """The interpretation's global measurements first, then the 1.03 measurements section."""
    interpretation = _first(root, "interpretation")
    blocks = [_first(interpretation, tag) for tag in _MEASUREMENT_BLOCKS]
    blocks.append(_first(_first(root, "measurements"), "globalmeasurements"))
    return [block for block in blocks if block is not None]


def _file_info(root: Element, decoded: sierraecg.SierraEcgFile) -> dict[str, str]:
    """Format, device, statements and measurements as the file states them (no patient data)."""
    info = {"format": f"Philips XML ({decoded.doc_type} {decoded.doc_ver})"}
    machine = _first(root, "machine")
    if _text(machine):
        info["device"] = _text(machine)
    for block in _measurement_blocks(root):
        for element in block:
            if _local(element) in _MEASUREMENTS:
                add_measurement(info, _MEASUREMENTS[_local(element)], _text(element))
    interpretation = _first(root, "interpretation")
    statements = [
        _text(_first(statement, "leftstatement"))
        for statement in (interpretation.iter() if interpretation is not None else ())
        if _local(statement) == "statement"
    ]
    if any(statements):
        info["diagnosis statements"] = "; ".join(text for text in statements if text)
    return info


def _patient_fields(root: Element) -> dict[str, str]:
    """Patient identifiers from patient/generalpatientdata (kept apart from everything else)."""
    general = _first(_first(root, "patient"), "generalpatientdata")
    name = _first(general, "name")
    age = _first(general, "age")
    years = _first(age, "years")
    return patient_fields(
        name=name_text(*(_text(_first(name, tag)) for tag in _NAME_PARTS)),
        patient_id=stated(_text(_first(general, "patientid"))),
        birth_date=birth_date_text(_text(_first(age, "dateofbirth"))),
        sex=sex_text(_text(_first(general, "sex"))),
        age=age_text(_text(years), "years") if years is not None else "",
    )


def _median_beats(decoded: sierraecg.SierraEcgFile) -> tuple[RawMedianBeats | None, list[str]]:
    """The `<repbeats>` in µV at their own rate, fill padding cut, or None (and a note)."""
    beats = list(decoded.repbeats.values())
    if not beats:
        return None, []
    rate_hz, resolution_uv = float(beats[0].sampling_freq), float(beats[0].resolution)
    if len({beat.samples.size for beat in beats}) != 1 or rate_hz <= 0 or resolution_uv <= 0:
        return None, ["the file's representative beats have no usable rate, scale or length"]
    digits = np.stack([beat.samples.astype(np.float64) for beat in beats])  # (C, W)
    fill = trailing_fill_samples(digits)
    kept = digits.shape[1] - fill
    if kept == 0:
        return None, ["the file's representative beats hold only fill values (no data)"]
    return RawMedianBeats(
        signal=digits[:, :kept] * resolution_uv,
        fs_hz=rate_hz,
        channel_names=[beat.label for beat in beats],
        units=["uV"] * len(beats),
        description=f"Philips representative beats ({beats[0].method or 'method not stated'})",
    ), fill_note(fill, kept, rate_hz)


def read_philips_xml(path: Path, fs_hz: float | None) -> RawRecording:
    """Read the rhythm leads of a Philips Sierra ECG / PageWriter XML file.

    Args:
        path: an XML file whose root element is `restingecgdata`.
        fs_hz: ignored except for a note when it disagrees with the file's rate.

    Returns:
        RawRecording with the 12 stored leads (C, T) in µV, the representative beats (when
        stored) as `median_beats`, and `patient_fields`.

    Raises:
        ECGInputError: malformed XML, an unsupported schema or compression, damaged waveform
            data, or no stated amplitude resolution.
    """
    root = parse_xml(path, FORMAT_NAME)  # defusedxml: entity tricks refused with a clear message
    resolution_uv = _resolution_uv(root, path.name)
    decoded = _decode(path)
    signal = _rhythm(decoded, path.name) * resolution_uv
    rate_hz = float(decoded.leads[0].sampling_freq)
    if rate_hz <= 0:
        raise ECGInputError(f"{path.name}: the Philips XML states no positive sampling rate.")
    notes = [
        f"read as Philips XML ({decoded.doc_type} {decoded.doc_ver}, XLI decoded by sierraecg, "
        f"{resolution_uv:g} µV per digit)"
    ]
    notes += ignored_rate_notes(rate_hz, fs_hz)
    median_beats, median_notes = _median_beats(decoded)
    return RawRecording(
        signal=signal,
        fs_hz=rate_hz,
        channel_names=[lead.label for lead in decoded.leads],
        units=["uV"] * len(decoded.leads),
        source=path.name,
        notes=notes + median_notes,
        file_info=_file_info(root, decoded),
        median_beats=median_beats,
        patient_fields=_patient_fields(root),
    )
