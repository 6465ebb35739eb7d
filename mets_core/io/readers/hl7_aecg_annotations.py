"""HL7 aECG annotations and subject: global device measurements, statements, patient fields.

Annotation sets hang under the rhythm series and the representative-beat `derivedSeries`
(`subjectOf/annotationSet`). Global measurements are the set's direct annotations coded
`MDC_ECG_HEART_RATE`, `MDC_ECG_TIME_PD_*` and `MDC_ECG_ANGLE_*_FRONT` with a PQ value (value +
unit). Annotations that carry a `support` (a region of interest: one lead or one time span) and
those nested under a single beat (`MDC_ECG_BEAT`) are per-lead or per-beat, not global, and are
skipped. Interpretation statements are the ST values of `MDC_ECG_INTERPRETATION*` annotations.
The trial subject (name, id, birth time, gender) and the reported age go only to
`patient_fields`.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from mets_core.io.readers.device_measurements import add_measurement
from mets_core.io.readers.patient_fields import (
    age_text,
    birth_date_text,
    name_text,
    patient_fields,
    sex_text,
    stated,
)
from mets_core.io.readers.xml_parse import child, children, local_name

# MDC annotation code (upper case) -> shared file_info key.
_MEASUREMENT_CODES: dict[str, str] = {
    "MDC_ECG_HEART_RATE": "ventricular rate (bpm)",
    "MDC_ECG_HEART_RATE_VENT": "ventricular rate (bpm)",
    "MDC_ECG_HEART_RATE_ATRIAL": "atrial rate (bpm)",
    "MDC_ECG_TIME_PD_RR": "RR interval (ms)",
    "MDC_ECG_TIME_PD_PR": "PR interval (ms)",
    "MDC_ECG_TIME_PD_PQ": "PR interval (ms)",
    "MDC_ECG_TIME_PD_QRS": "QRS duration (ms)",
    "MDC_ECG_TIME_PD_QT": "QT interval (ms)",
    "MDC_ECG_TIME_PD_QTC": "QTc (ms)",
    "MDC_ECG_TIME_PD_QTCB": "QTc (ms)",
    "MDC_ECG_TIME_PD_QTCF": "QTc (ms)",
    "MDC_ECG_ANGLE_P_FRONT": "P axis (°)",
    "MDC_ECG_ANGLE_QRS_FRONT": "QRS axis (°)",
    "MDC_ECG_ANGLE_T_FRONT": "T axis (°)",
}
_REPORTED_AGE_LOINC = "21612-7"


def _code(element: Element | None) -> str:
    found = child(element, "code")
    return (found.get("code") or "").strip() if found is not None else ""


def _annotation_sets(series: Element | None) -> list[Element]:
    return [
        found
        for subject in children(series, "subjectOf")
        for found in children(subject, "annotationSet")
    ]


def _direct_annotations(element: Element) -> list[Element]:
    """Annotations one `component` below `element` that have no region of interest."""
    return [
        found
        for comp in children(element, "component")
        for found in children(comp, "annotation")
        if child(found, "support") is None
    ]


def _statements(annotation: Element) -> list[str]:
    """ST texts of an interpretation annotation and its nested statement annotations."""
    texts = []
    for element in [annotation, *_direct_annotations(annotation)]:
        value = child(element, "value")
        text = " ".join((value.text or "").split()) if value is not None else ""
        if _code(element).upper().startswith("MDC_ECG_INTERPRETATION") and text:
            texts.append(text.rstrip(", "))
    return texts


def annotation_info(rhythm: Element, representative: Element | None) -> dict[str, str]:
    """Global measurements and interpretation statements of the rhythm and median series.

    Args:
        rhythm: the rhythm `series` element.
        representative: the `derivedSeries` of representative beats, or None.

    Returns:
        Shared file_info keys ("QT interval (ms)", "diagnosis statements", ...) to short strings;
        the rhythm series' values come first, the median series fills the gaps.
    """
    info: dict[str, str] = {}
    statements: list[str] = []
    for annotation_set in [*_annotation_sets(rhythm), *_annotation_sets(representative)]:
        for annotation in _direct_annotations(annotation_set):
            code = _code(annotation).upper()
            value = child(annotation, "value")
            if code in _MEASUREMENT_CODES and value is not None:
                add_measurement(
                    info, _MEASUREMENT_CODES[code], value.get("value"), value.get("unit")
                )
            statements += [text for text in _statements(annotation) if text not in statements]
    if statements:
        info["diagnosis statements"] = "; ".join(statements)
    return info


def _first(root: Element, name: str) -> Element | None:
    return next((found for found in root.iter() if local_name(found) == name), None)


def _person_name(person: Element | None) -> str:
    """ "FAMILY, Given" from structured name parts, else the name's collapsed text."""
    name = child(person, "name")
    if name is None:
        return ""
    family = child(name, "family")
    given = [(part.text or "") for part in children(name, "given")]
    if family is not None or given:
        return name_text(family.text if family is not None else "", *given)
    return stated(name.text)


def _reported_age(root: Element) -> str:
    for variable in (found for found in root.iter() if local_name(found) == "relatedObservation"):
        value = child(variable, "value")
        if _code(variable) == _REPORTED_AGE_LOINC and value is not None:
            return age_text(value.get("value"), value.get("unit"))
    return ""


def subject_patient_fields(root: Element) -> dict[str, str]:
    """Patient identifiers of the trial subject (kept apart from everything else).

    Args:
        root: the `AnnotatedECG` element.

    Returns:
        `RawRecording.patient_fields`: name, patient ID, birth date, sex, age where stated.
    """
    subject = _first(root, "trialSubject")
    person = child(subject, "subjectDemographicPerson")
    subject_id = child(subject, "id")
    gender = child(person, "administrativeGenderCode")
    birth = child(person, "birthTime")
    return patient_fields(
        name=_person_name(person),
        patient_id=stated(subject_id.get("extension")) if subject_id is not None else "",
        birth_date=birth_date_text(birth.get("value")) if birth is not None else "",
        sex=sex_text(gender.get("code")) if gender is not None else "",
        age=_reported_age(root),
    )
