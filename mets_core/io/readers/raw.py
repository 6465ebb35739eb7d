"""RawRecording: what a format reader hands to `assemble.build_record` (before lead mapping)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass
class RawMedianBeats:
    """Representative (median) beats exactly as a file stores them, beside its rhythm signal.

    Attributes:
        signal: float64 array of shape (C, W), one beat per channel, in `units`.
        fs_hz: sampling rate of the beats in Hz (may differ from the rhythm's).
        channel_names: C labels as found in the file.
        units: C declared units or None (undeclared beats are scaled like the rhythm was).
        description: what the file calls them, e.g. "MUSE Median waveform".
    """

    signal: npt.NDArray[np.float64]
    fs_hz: float
    channel_names: list[str]
    units: list[str | None]
    description: str


@dataclass
class RawRecording:
    """Channels exactly as a file stores them, already in physical units where the file says how.

    Attributes:
        signal: float64 array of shape (C, T), one row per channel, in `units`.
        fs_hz: sampling rate in Hz (shared by all channels).
        channel_names: C labels as found in the file (not yet normalised).
        units: C declared units (``"mV"``, ``"uV"``, ...) or None where the file declares none;
            undeclared channels are scaled by the amplitude rule in `units.py`.
        source: file name only (no folders), shown to the user.
        notes: adjustments the reader made, in plain words.
        file_info: values the file states about itself (format, header comments).
        median_beats: the file's own representative beats, when it stores them; never mixed
            into `signal`.
        patient_fields: patient identifiers the file states (name, ID, birth date), keyed by a
            human-readable name. Never put into notes, file_info, logs or messages; excluded
            from repr so a log line or traceback cannot print them.
    """

    signal: npt.NDArray[np.float64]
    fs_hz: float
    channel_names: list[str]
    units: list[str | None]
    source: str
    notes: list[str] = field(default_factory=list)
    file_info: dict[str, str] = field(default_factory=dict)
    median_beats: RawMedianBeats | None = None
    patient_fields: dict[str, str] = field(default_factory=dict, repr=False)


def ignored_rate_notes(stated_hz: float, entered_hz: float | None) -> list[str]:
    """A note when the user typed a rate that disagrees with the one the file states (file wins)."""
    if entered_hz is None or np.isclose(entered_hz, stated_hz):
        return []
    return [f"the file states {stated_hz:g} Hz; the entered rate ({entered_hz:g} Hz) was not used"]
