"""What a file states about itself, set beside what METS computes: measurements and statements.

Readers put the device's own values in `ECGRecord.file_info` under shared names such as
"PR interval (ms)" (see `readers/muse_reader.py`). This module pairs them with the values
`mets_core.signal.measurements` computes, so a clinician sees both in one table, each labelled
with its
source, and separates the diagnostic statements from other file facts (format, versions).
"""

from __future__ import annotations

from mets_core.signal.measurements import Measurements

# Key in file_info -> name of the matching value computed here (None: nothing computed to match).
FILE_MEASUREMENTS: dict[str, str | None] = {
    "ventricular rate (bpm)": "Heart rate",
    "atrial rate (bpm)": None,
    "RR interval (ms)": "RR",
    "PR interval (ms)": "PR",
    "QRS duration (ms)": "QRS",
    "QT interval (ms)": "QT",
    "QTc (ms)": "QTc (Bazett)",  # beside ours; the device's formula is rarely stated (caveat)
    "P axis (°)": None,
    "QRS axis (°)": "QRS axis (frontal)",
    "T axis (°)": None,
}
STATEMENT_KEYS = ("diagnosis statements",)
# What a file value beside a computed one may not share with it, said in the table.
FILE_VALUE_CAVEATS = {"QTc (ms)": "device's formula, not stated"}


def _computed_text(measurements: Measurements, name: str) -> str:
    try:
        value = measurements.get(name)
    except KeyError:
        return "—"
    unit = "°" if value.unit == "degrees" else f" {value.unit}"
    return f"{value.value:.0f}{unit}" if value.value is not None else f"— ({value.reason})"


def _stated_text(key: str | None, file_info: dict[str, str]) -> str:
    """A file value with the unit from its key: ("PR interval (ms)", "144") -> "144 ms"."""
    if key is None or key not in file_info:
        return "—"
    unit = key.rpartition(" (")[2].rstrip(")")
    text = f"{file_info[key]}{unit}" if unit == "°" else f"{file_info[key]} {unit}"
    return f"{text} ({FILE_VALUE_CAVEATS[key]})" if key in FILE_VALUE_CAVEATS else text


def side_by_side(measurements: Measurements, file_info: dict[str, str]) -> list[dict[str, str]]:
    """One row per quantity: the value computed here beside the value the file states.

    Args:
        measurements: values computed here (`mets_core.measurements.measure_intervals`).
        file_info: the record's file-stated values.

    Returns:
        Rows with keys "measurement", "computed here", "stated by the file" and "how computed";
        every computed value has a row, and so does every file measurement without a match.
    """
    stated_for = {name: key for key, name in FILE_MEASUREMENTS.items() if name is not None}
    rows = []
    for value in measurements.values:
        key = stated_for.get(value.name)
        rows.append(
            {
                "measurement": value.name,
                "computed here": _computed_text(measurements, value.name),
                "stated by the file": _stated_text(key, file_info),
                "how computed": value.source,
            }
        )
    for key, name in FILE_MEASUREMENTS.items():
        if name is None and key in file_info:
            rows.append(
                {
                    "measurement": key.partition(" (")[0],
                    "computed here": "—",
                    "stated by the file": _stated_text(key, file_info),
                    "how computed": "the recording device's own algorithm",
                }
            )
    return rows


def differences(measurements: Measurements, file_info: dict[str, str]) -> dict[str, float]:
    """Computed minus file-stated value for every quantity both give (axes wrapped to +-180°).

    Args:
        measurements: values computed here. file_info: the record's file-stated values.

    Returns:
        {computed measurement name: difference in its unit}, e.g. {"QRS": -8.0, "PR": 3.0};
        values with a caveat (`FILE_VALUE_CAVEATS`, e.g. QTc by an unstated formula) are left out.
    """
    out = {}
    for key, name in FILE_MEASUREMENTS.items():
        if name is None or key not in file_info or key in FILE_VALUE_CAVEATS:
            continue
        try:
            computed, stated = measurements.get(name).value, float(file_info[key])
        except (KeyError, ValueError):
            continue
        if computed is not None:
            difference = computed - stated
            out[name] = (difference + 180.0) % 360.0 - 180.0 if "axis" in name else difference
    return out


def file_statements(file_info: dict[str, str]) -> list[str]:
    """The device's diagnostic statements, one per line as the file groups them ([] if none)."""
    text = "; ".join(file_info[key] for key in STATEMENT_KEYS if file_info.get(key))
    return [part.strip() for part in text.split(";") if part.strip()]


def file_facts(file_info: dict[str, str]) -> dict[str, str]:
    """What the file states that is neither a measurement nor a statement (format, versions)."""
    skip = set(FILE_MEASUREMENTS) | set(STATEMENT_KEYS)
    return {key: value for key, value in file_info.items() if key not in skip}
