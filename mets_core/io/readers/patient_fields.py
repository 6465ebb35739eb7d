"""Patient identifiers a file states, tidied into `RawRecording.patient_fields` and nowhere else.

Keys (only where the file states a real value): "name" ("FAMILY, Given Middle"), "patient ID",
"birth date" (ISO "1953-05-08" when the file gives YYYYMMDD, else as stated), "sex" ("male",
"female" or as stated), "age" ("46 years"). Placeholders that devices write for "not entered"
("---", "xxxxxx", an empty element, sex "Unknown") are left out. Nothing here is ever logged,
put into notes, file_info or an error message.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"[\W_]*|[xX]{3,}")  # no letter or digit at all, or "xxxxxx"
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\d*)(?:\.\d+)?(?:[+-]\d{4})?")
_SEX = {"m": "male", "male": "male", "f": "female", "female": "female"}
_UNKNOWN_SEX = {"u", "un", "unk", "unknown", "o", "other", "not specified"}
_AGE_UNITS = {
    "y": "years",
    "a": "years",
    "yr": "years",
    "years": "years",
    "m": "months",
    "mo": "months",
    "months": "months",
    "w": "weeks",
    "wk": "weeks",
    "weeks": "weeks",
    "d": "days",
    "days": "days",
}


def stated(text: str | None) -> str:
    """Whitespace-collapsed text, or "" when absent or a placeholder."""
    collapsed = " ".join((text or "").split())
    return "" if _PLACEHOLDER.fullmatch(collapsed) else collapsed


def name_text(family: str | None, *given: str | None) -> str:
    """ "FAMILY, Given Middle" from name parts; placeholder parts are dropped."""
    family_text = stated(family)
    given_text = " ".join(part for part in (stated(name) for name in given) if part)
    return ", ".join(part for part in (family_text, given_text) if part)


def birth_date_text(text: str | None) -> str:
    """A birth date: YYYYMMDD (optionally followed by a time) becomes YYYY-MM-DD."""
    value = stated(text)
    match = _COMPACT_DATE.fullmatch(value)
    return f"{match[1]}-{match[2]}-{match[3]}" if match else value


def sex_text(text: str | None) -> str:
    """ "male" / "female" from M, F, Male, Female; "" for unknown; anything else as stated."""
    value = stated(text)
    if value.lower() in _UNKNOWN_SEX:
        return ""
    return _SEX.get(value.lower(), value)


def age_text(number: str | None, unit: str | None = "years") -> str:
    """ "55 years" from ("55", "a"), ("055", "Y") or ("50", "years"); "" when not a number."""
    value = stated(number).lstrip("0") or ("0" if stated(number) else "")
    if not value.replace(".", "", 1).isdigit():
        return ""
    words = _AGE_UNITS.get(stated(unit).lower(), stated(unit) or "years")
    return f"{value} {words}"


def dicom_age_text(text: str | None) -> str:
    """A DICOM Age String ("055Y", "006M") as "55 years" / "6 months"."""
    value = stated(text)
    return age_text(value[:-1], value[-1]) if len(value) > 1 else ""


def patient_fields(
    *, name: str = "", patient_id: str = "", birth_date: str = "", sex: str = "", age: str = ""
) -> dict[str, str]:
    """The non-empty values keyed as `RawRecording.patient_fields` expects.

    Args:
        name, patient_id, birth_date, sex, age: values already tidied by the helpers above.

    Returns:
        {"name": ..., "patient ID": ..., "birth date": ..., "sex": ..., "age": ...}, only the
        keys with a value.
    """
    fields = {
        "name": name,
        "patient ID": patient_id,
        "birth date": birth_date,
        "sex": sex,
        "age": age,
    }
    return {key: value for key, value in fields.items() if value}
