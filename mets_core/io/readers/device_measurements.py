"""Device measurements a file states, converted to the unit in their shared `file_info` key.

Every reader files the recording device's own global measurements under the same keys (those of
`muse_reader._MEASUREMENTS`, e.g. "PR interval (ms)"), so the app shows them alike. Files state
them in different units (HL7 aECG may give seconds, DICOM uses UCUM codes such as
``{H.B.}/min``); `add_measurement` converts to the key's unit and keeps a short string. A value
in a unit of the wrong kind (an axis "in ms"), a value that is not a number, and a zero or
negative rate or interval (devices write 0 for "not measured", e.g. PR during atrial
fibrillation) are left out rather than guessed.
"""

from __future__ import annotations

# file_info key -> kind of quantity (decides the accepted units).
MEASUREMENT_KINDS: dict[str, str] = {
    "ventricular rate (bpm)": "rate",
    "atrial rate (bpm)": "rate",
    "RR interval (ms)": "interval",
    "PR interval (ms)": "interval",
    "QRS duration (ms)": "interval",
    "QT interval (ms)": "interval",
    "QTc (ms)": "interval",
    "P axis (°)": "angle",
    "QRS axis (°)": "angle",
    "T axis (°)": "angle",
}
# Kind -> {lower-case unit: factor to the key's unit}; "" is a value stated without a unit.
_UNIT_FACTORS: dict[str, dict[str, float]] = {
    "rate": {
        "": 1.0,
        "/min": 1.0,
        "1/min": 1.0,
        "bpm": 1.0,
        "{h.b.}/min": 1.0,
        "{beat}/min": 1.0,
        "{beats}/min": 1.0,
        "beats/min": 1.0,
        "bmp": 1.0,  # CalECG 2.1.0 writes this misspelling of bpm
    },
    "interval": {"": 1.0, "ms": 1.0, "msec": 1.0, "s": 1000.0, "sec": 1000.0, "us": 1e-3},
    "angle": {"": 1.0, "deg": 1.0, "degrees": 1.0, "°": 1.0},
}
MAX_ABS_ANGLE_DEG = 360.0


def measurement_text(key: str, value: str | float | None, unit: str | None = None) -> str | None:
    """A stated measurement in the unit of `key`, as a short string, or None when unusable.

    Args:
        key: a key of `MEASUREMENT_KINDS`, e.g. "QT interval (ms)".
        value: the number as the file states it (text or number), or None.
        unit: the unit the file states for it (None or "" when it states none).

    Returns:
        e.g. "420" or "98.5"; None for a missing or non-numeric value, a unit of the wrong kind,
        a rate or interval <= 0, or an angle beyond ±360°.
    """
    factor = _UNIT_FACTORS[MEASUREMENT_KINDS[key]].get((unit or "").strip().lower())
    try:
        number = float(str(value).strip()) * factor if factor is not None else None
    except ValueError:
        return None
    if number is None or number != number:  # absent, or NaN
        return None
    if MEASUREMENT_KINDS[key] == "angle":
        if abs(number) > MAX_ABS_ANGLE_DEG:
            return None
    elif number <= 0:
        return None
    return f"{round(number, 1):g}"


def add_measurement(
    info: dict[str, str], key: str, value: str | float | None, unit: str | None = None
) -> None:
    """Put a usable stated measurement into `info` under `key`; the first value found wins."""
    text = measurement_text(key, value, unit)
    if text is not None and key not in info:
        info[key] = text
