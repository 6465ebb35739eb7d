"""Uploads without their file names: a neutral label instead of a name that may identify a patient.

Clinical exports are often named after the patient (``DOE_JOHN_MRN081486213.xml``). The app shows
an upload as "Upload 1, GE MUSE XML" and keeps the file names out of the record it reads (its
`source`, its notes) and out of error messages, unless the user asks to see them. Exports are
built from the record, so they never carry the names.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from mets_core.errors import ECGInputError
from mets_core.io.load import main_upload, safe_file_name
from mets_core.io.readers import choose_reader
from mets_core.notes import Note, severity_of
from mets_core.record import ECGRecord

# Reader names as a user calls the format in a label ("WFDB header" -> "WFDB").
_FORMAT_LABELS = {"WFDB header": "WFDB", "WFDB signal": "WFDB", "zip archive": "zip archive"}
_MIN_STEM_CHARS = 5  # shorter stems ("ecg", "1") are hidden only as whole file names


def upload_format_name(files: Sequence[tuple[str, bytes]]) -> str | None:
    """What the upload's main file is, as a user calls the format ("GE MUSE XML", "WFDB").

    Args:
        files: (file name, bytes) pairs of one upload, as `load_record_from_uploads` takes them.

    Returns:
        The format's name, or None when no reader recognises the main file.
    """
    try:
        names = [safe_file_name(name) for name, _ in files]
        main = main_upload(names)
    except ECGInputError:
        return None
    content = dict(zip(names, (data for _, data in files), strict=True))[main]
    with tempfile.TemporaryDirectory(prefix="mets-sniff-") as folder:
        path = Path(folder) / main
        path.write_bytes(bytes(content))
        try:
            name = choose_reader(path).name
        except ECGInputError:
            return None
    return _FORMAT_LABELS.get(name, name)


def neutral_upload_label(number: int, format_name: str | None) -> str:
    """The label an upload is shown by, e.g. "Upload 1, GE MUSE XML" (no file name).

    Args:
        number: which upload of this browser session it is, from 1.
        format_name: from `upload_format_name`; None when the format is unknown ("Upload 2").
    """
    return f"Upload {number}, {format_name}" if format_name else f"Upload {number}"


def hide_file_names(text: str, file_names: Sequence[str], label: str) -> str:
    """`text` with every upload file name (and its stem, e.g. a WFDB record name) replaced.

    Args:
        text: a message, note or source that may name the uploaded files.
        file_names: the names as uploaded; their safe forms and stems are hidden too.
        label: what to write instead, e.g. "Upload 1, GE MUSE XML".
    """
    forms: set[str] = set()
    for name in file_names:
        base = PurePosixPath(str(name).replace("\\", "/")).name
        for form in (str(name), base, _safe_or_empty(base)):
            if form:
                forms.add(form)
                stem = PurePosixPath(form).stem
                if len(stem) >= _MIN_STEM_CHARS:
                    forms.add(stem)
    for form in sorted(forms, key=len, reverse=True):  # whole names before their stems
        text = re.sub(re.escape(form), label, text, flags=re.IGNORECASE)
    return text


def _safe_or_empty(name: str) -> str:
    try:
        return safe_file_name(name)
    except ECGInputError:
        return ""


def without_file_names(record: ECGRecord, file_names: Sequence[str], label: str) -> ECGRecord:
    """A copy of `record` whose source is `label` and whose notes name no uploaded file.

    Each note keeps its severity (`mets_core.notes`).
    """
    notes = tuple(
        Note(hide_file_names(note, file_names, label), severity_of(note)) for note in record.notes
    )
    return replace(record, source=label, notes=notes)
