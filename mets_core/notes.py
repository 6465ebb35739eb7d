"""Notes: what a step did to an ECG, in plain words, and whether it changes the reading.

Readers, preprocessing and ranking return their non-fatal adjustments as notes (STYLE.md, "Errors
and bad input"). Most are routine ("read as GE MUSE XML", "converted uV to millivolts"): a user may
look them up but need not act. A few change what the tracing or the model shows (leads derived or
missing, flat leads, a cut prompt): those are warnings. The code that writes a note decides which
it is, here, once; the app shows warnings as warnings and folds routine notes into one list.

A `Note` is a `str` (every consumer that joins, prints or serialises notes keeps working); plain
`str` notes are routine.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Severity(StrEnum):
    """How much a note matters to whoever reads the ECG."""

    ROUTINE = "routine"  # how the file was read or prepared; nothing to act on
    WARNING = "warning"  # changes what the tracing or the model shows: read it before the result


class Note(str):
    """A note's text with its severity; compares, prints and serialises as its text.

    Example:
        >>> note = warning("derived III from I and II")
        >>> note == "derived III from I and II", note.severity
        (True, <Severity.WARNING: 'warning'>)
    """

    severity: Severity

    def __new__(cls, text: str, severity: Severity = Severity.ROUTINE) -> Note:
        note = super().__new__(cls, text)
        note.severity = Severity(severity)
        return note

    def __reduce__(self) -> tuple[type[Note], tuple[str, Severity]]:
        return (Note, (str(self), self.severity))


def warning(text: str) -> Note:
    """A note that changes the reading (derived, missing or flat leads; a cut prompt)."""
    return Note(text, Severity.WARNING)


def severity_of(note: str) -> Severity:
    """The note's severity; a plain `str` note is routine."""
    return getattr(note, "severity", Severity.ROUTINE)


def split_notes(notes: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(warnings, routine notes), each in the given order, duplicates dropped.

    Args:
        notes: notes from a record, a preprocessing step or a ranking.

    Returns:
        The notes that change the reading, then the routine ones.
    """
    warnings: dict[str, None] = {}
    routine: dict[str, None] = {}
    for note in notes:
        (warnings if severity_of(note) is Severity.WARNING else routine).setdefault(note, None)
    return tuple(warnings), tuple(n for n in routine if n not in warnings)
