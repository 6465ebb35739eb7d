"""One exception family. Messages are written for a clinician: what was expected, what was found.

Pages catch `METSError` and show `str(error)`; anything else is a bug and must surface.
"""

from __future__ import annotations


class METSError(Exception):
    """Base class for every error that `mets_core` raises on purpose."""


class ECGInputError(METSError):
    """The ECG file or signal cannot be used (broken file, wrong leads, NaNs, too short, ...)."""


class LabelInputError(METSError):
    """The candidate diagnoses cannot be used (empty, duplicated, too many, too long)."""


class WeightsError(METSError):
    """The model weights are missing, tampered with, or do not match their configuration."""


class DataError(METSError):
    """A dataset folder (PTB-XL, MIT-BIH) is missing files or is laid out unexpectedly."""
