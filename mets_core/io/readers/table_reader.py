"""Text tables (`.csv`, `.tsv`, `.txt`): a header row of lead names, one row per sample.

The rate comes from a time column (`time`, `t`, `time_s`, `time_ms`, ...) when there is one,
otherwise from `fs_hz`. The delimiter is taken from the header line (tab, semicolon, comma or
whitespace); a semicolon file with decimal commas ("0,512") is read as such. Lines starting
with "#" before the header are skipped. Units are judged by amplitude (see `units.py`) unless a
lead label carries one, e.g. "V1 (uV)".
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from mets_core.errors import ECGInputError
from mets_core.io.readers.raw import RawRecording
from mets_core.io.readers.timebase import rate_from_time_column, time_column_unit

_UNIT_IN_LABEL = re.compile(r"[\(\[]\s*(mv|uv|µv|μv|v)\s*[\)\]]\s*$", re.IGNORECASE)
_INDEX_LABELS = {"", "index", "sample", "samples", "sample_number", "n", "#", "unnamed: 0"}


def _layout(path: Path) -> tuple[int, str, str]:
    """Return (comment lines to skip, delimiter, decimal mark) from the first lines."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        lines = [handle.readline() for _ in range(200)]
    skip = 0
    while skip < len(lines) and lines[skip].lstrip().startswith("#"):
        skip += 1
    header = lines[skip] if skip < len(lines) else ""
    first_row = lines[skip + 1] if skip + 1 < len(lines) else ""
    if "\t" in header:
        return skip, "\t", "."
    if ";" in header:
        return skip, ";", "," if "," in first_row else "."
    if "," in header:
        return skip, ",", "."
    return skip, r"\s+", "."


def _read_frame(path: Path) -> pd.DataFrame:
    skip, delimiter, decimal = _layout(path)
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            decimal=decimal,
            skiprows=skip,
            encoding="utf-8-sig",
            encoding_errors="replace",
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise ECGInputError(f"{path.name} is not a readable table of samples: {error}") from error
    if frame.shape[0] < 2 or frame.shape[1] < 1:
        raise ECGInputError(
            f"Expected a header row of lead names and one row per sample in {path.name}; found "
            f"{frame.shape[0]} data rows and {frame.shape[1]} columns."
        )
    if all(_is_number(label) for label in frame.columns):
        raise ECGInputError(
            f"{path.name} has no header row: the first line holds numbers. Add a first line "
            "with the lead names (for example: time,I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6)."
        )
    return frame


def _is_number(label: object) -> bool:
    try:
        float(str(label).replace(",", "."))
    except ValueError:
        return False
    return True


def _numeric(frame: pd.DataFrame, column: str, file_name: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    if not missing.any():
        return values
    text = frame[column].astype(str).str.strip().str.lower()
    bad = np.flatnonzero(missing & ~text.isin(["nan", "", "na", "none"]).to_numpy())
    if bad.size:
        raise ECGInputError(
            f"Column {column} of {file_name} holds non-numeric values (first at data row "
            f"{bad[0] + 1}: {frame[column].iloc[bad[0]]!r}); expected numbers."
        )
    return values


def _split_unit(label: str) -> tuple[str, str | None]:
    match = _UNIT_IN_LABEL.search(label)
    return (label[: match.start()].strip(), match.group(1)) if match else (label.strip(), None)


def _signal_columns(
    frame: pd.DataFrame, labels: list[str], time_index: int | None, file_name: str
) -> tuple[list[str], list[str | None], np.ndarray]:
    """Return (names, units from the labels, (C, T) samples) of the non-time, non-index columns."""
    keep = [
        i
        for i, label in enumerate(labels)
        if i != time_index and label.lower() not in _INDEX_LABELS
    ]
    if not keep:
        raise ECGInputError(f"{file_name} has no signal columns besides time.")
    names, units = zip(*(_split_unit(labels[i]) for i in keep), strict=True)
    signal = np.stack([_numeric(frame, frame.columns[i], file_name) for i in keep])
    return list(names), list(units), signal


def read_table(path: Path, fs_hz: float | None) -> RawRecording:
    """Read a CSV/TSV/TXT table of samples.

    Args:
        path: the table; its first non-comment line names the columns.
        fs_hz: sampling rate in Hz, required when there is no time column.

    Returns:
        RawRecording with one row per non-time column (non-ECG columns are dropped later).

    Raises:
        ECGInputError: no header row, non-numeric samples, no way to know the rate.
    """
    frame = _read_frame(path)
    labels = [str(label).strip() for label in frame.columns]
    time_index = next((i for i, lab in enumerate(labels) if time_column_unit(lab)), None)
    notes: list[str] = []
    if time_index is not None:
        time = _numeric(frame, frame.columns[time_index], path.name)
        rate, note = rate_from_time_column(time, labels[time_index], fs_hz)
        notes.append(note)
    elif fs_hz is None:
        raise ECGInputError(
            f"{path.name} has no time column (time, t, time_s or time_ms), so the sampling rate "
            "is unknown; enter it (for example 500 Hz)."
        )
    else:
        rate = float(fs_hz)
    names, units, signal = _signal_columns(frame, labels, time_index, path.name)
    kind = "TSV" if path.suffix.lower() == ".tsv" else "text table"
    return RawRecording(
        signal=signal,
        fs_hz=rate,
        channel_names=names,
        units=units,
        source=path.name,
        notes=notes,
        file_info={"format": f"{kind} ({len(names)} signal columns)"},
    )
