"""Read an ECG file (path, bytes, upload or several uploads) into a validated ECGRecord.

This module only dispatches and handles uploads; format logic lives in `mets_core.io.readers`.
Uploaded bytes are written only inside a `tempfile.TemporaryDirectory` opened here and deleted
before the function returns, under sanitised base names. Zip archives are unpacked the same way.

Supported: WFDB (.hea + .dat), PhysioNet/CinC .mat + .hea, CSV/TSV/TXT with a header row of
lead names, NumPy .npy (12 leads, `fs_hz` required), EDF/EDF+, and a .zip holding one of these.
Units become millivolts: by the declared unit where the file states one, otherwise by amplitude
(median robust peak-to-peak >= 50 means microvolts; see `mets_core.io.readers.units`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Protocol

from mets_core.errors import ECGInputError
from mets_core.io.readers import choose_reader
from mets_core.io.readers.archive import extract_zip, find_record_file
from mets_core.io.readers.assemble import build_record
from mets_core.record import ECGRecord


class Upload(Protocol):
    """A binary file-like upload (Streamlit's UploadedFile, an open file, io.BytesIO)."""

    def read(self, size: int = -1) -> bytes: ...


Source = str | os.PathLike | bytes | bytearray | Upload | Sequence[Upload]


def safe_file_name(name: str) -> str:
    """Base name only, with characters outside letters, digits, '.', '-', '_' replaced by '_'.

    Raises:
        ECGInputError: when nothing usable is left (e.g. "..", "", "/").
    """
    base = PurePosixPath(str(name).replace("\\", "/")).name.strip()
    base = re.sub(r"[^\w.\-]", "_", base)
    if not base or set(base) <= {"."}:
        raise ECGInputError(f"The upload's file name {name!r} is not usable; rename the file.")
    return base


def _read_path(path: Path, fs_hz: float | None, display_name: str) -> ECGRecord:
    """Read one file on disk; zips are unpacked into a temporary folder deleted afterwards."""
    reader = choose_reader(path)
    if reader.read is None:  # a zip archive
        with tempfile.TemporaryDirectory(prefix="mets-zip-") as folder:
            members = extract_zip(path, Path(folder))
            inner = find_record_file(members, display_name)
            if choose_reader(inner).read is None:
                raise ECGInputError(
                    f"{display_name} contains another zip; nested archives are refused."
                )
            record = _read_path(inner, fs_hz, inner.name)
            return replace(record, source=f"{display_name}: {inner.name}")
    record = build_record(reader.read(path, fs_hz))
    return replace(record, source=display_name)


def main_upload(names: list[str]) -> str:
    """The file to read among uploads: the .hea of a WFDB/CinC pair, else the only file."""
    headers = [name for name in names if name.lower().endswith(".hea")]
    if len(headers) == 1:
        return headers[0]
    if len(names) == 1:
        return names[0]
    found = ", ".join(names)
    raise ECGInputError(
        "Expected one record: a single file, or a .hea header with its .dat/.mat signal file; "
        f"found {found}."
    )


def load_record_from_uploads(
    files: Sequence[tuple[str, bytes]], *, fs_hz: float | None = None
) -> ECGRecord:
    """Read one record from uploaded (file name, bytes) pairs, e.g. a .hea and its .dat.

    Args:
        files: (name, content) pairs; names are reduced to safe base names.
        fs_hz: sampling rate in Hz for formats that do not store one (CSV without time, .npy).

    Returns:
        The validated ECGRecord; `source` is the main file's base name.

    Raises:
        ECGInputError: no files, duplicate names, or any problem reading the record.
    """
    if not files:
        raise ECGInputError("No file was uploaded; upload an ECG record.")
    names = [safe_file_name(name) for name, _ in files]
    if len(set(names)) != len(names):
        raise ECGInputError(f"Two uploads have the same file name: {', '.join(names)}.")
    main = main_upload(names)
    with tempfile.TemporaryDirectory(prefix="mets-upload-") as folder:
        for name, (_, content) in zip(names, files, strict=True):
            (Path(folder) / name).write_bytes(bytes(content))
        return _read_path(Path(folder) / main, fs_hz, main)


def _as_upload(item: object, name: str | None) -> tuple[str, bytes]:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return item[0], bytes(item[1])
    if isinstance(item, (bytes, bytearray, memoryview)):
        return name or "upload", bytes(item)
    getvalue = getattr(item, "getvalue", None)
    reader = getattr(item, "read", None)
    if getvalue is None and reader is None:
        raise ECGInputError(
            f"Expected a file path, bytes or an uploaded file; found {type(item).__name__}."
        )
    content = getvalue() if getvalue is not None else reader()
    return name or str(getattr(item, "name", "") or "upload"), bytes(content)


def load_record(
    source: Source, *, name: str | None = None, fs_hz: float | None = None
) -> ECGRecord:
    """Read an ECG record from a path, bytes, an upload, or a list of uploads.

    Args:
        source: a path (.hea, .dat, .mat, .csv, .tsv, .txt, .npy, .edf, .zip); raw bytes (then
            `name` gives the file name); a binary file-like object (Streamlit UploadedFile); or
            a list of such uploads or of (name, bytes) pairs (a .hea with its .dat or .mat).
        name: file name for bytes or file-like input (its extension helps choose the reader).
        fs_hz: sampling rate in Hz for files that do not state it (CSV without a time column,
            .npy, bare .mat); files that state a rate keep theirs and note any disagreement.

    Returns:
        ECGRecord with signal (L, T) float32 in mV, leads in `STANDARD_12_LEADS` order.

    Raises:
        ECGInputError: with a message naming what was expected and what was found.

    Example:
        >>> record = load_record("../shared/data/ptb-xl/records100/00000/00001_lr.hea")
        >>> record.lead_names[:3], record.signal.shape, record.fs_hz
        (('I', 'II', 'III'), (12, 1000), 100.0)
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ECGInputError(f"File not found: {path.name}.")
        return _read_path(path, fs_hz, path.name)
    if isinstance(source, (list, tuple)):
        return load_record_from_uploads([_as_upload(item, None) for item in source], fs_hz=fs_hz)
    return load_record_from_uploads([_as_upload(source, name)], fs_hz=fs_hz)
