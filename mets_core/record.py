"""ECGRecord: the one in-memory record type every reader returns and every consumer takes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError
from mets_core.leads import STANDARD_12_LEADS
from mets_core.notes import Note, warning

if TYPE_CHECKING:
    from mets_core.signal.calibration import CalibrationPulse  # (calibration imports this module)

# A lead that varies by less than this over the whole record holds one value: no signal at all
# (disconnected). Such a lead is noted; a record of only such leads is refused. A lead too small to
# read (robust range under `signal.quality.FLAT_RANGE_MV`) is flagged "flat" by the quality check.
CONSTANT_PTP_MV = 1e-3


def constant_leads(
    signal: npt.NDArray[np.floating], names: list[str] | tuple[str, ...]
) -> list[str]:
    """Names of the rows of `signal` (L, T) in mV that hold a constant value (see above)."""
    ranges = np.ptp(signal, axis=-1)  # (L,), all rows at once
    return [name for name, span in zip(names, ranges, strict=True) if span < CONSTANT_PTP_MV]


def constant_leads_note(names: list[str]) -> Note | None:
    """The note for constant leads (a warning: the model reads them as no signal), or None."""
    if len(names) == 1:
        return warning(f"lead {names[0]} is flat (constant value); it may be disconnected")
    if names:
        return warning(
            f"leads {', '.join(names)} are flat (constant value); they may be disconnected"
        )
    return None


@dataclass(frozen=True)
class FileMedianBeats:
    """Representative (median) beats stored in the file: shown beside the rhythm, never ranked.

    These come from the recording device's own beat averaging. They are not the rhythm signal:
    `ECGRecord.signal` never contains them, and the model never sees them.

    Attributes:
        signal: float32 array of shape (L, W), millivolts, one beat per lead.
        fs_hz: sampling rate of the beats in Hz.
        lead_names: L standard lead names in row order.
        description: what the file calls them, e.g. "MUSE Median waveform".
        derived_leads: lead names computed here from others (e.g. III from I and II).
    """

    signal: npt.NDArray[np.float32]
    fs_hz: float
    lead_names: tuple[str, ...]
    description: str
    derived_leads: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        return int(self.signal.shape[1]) / float(self.fs_hz)


@dataclass(frozen=True, eq=False)
class FoundPulses:
    """One device-calibration-pulse search (`signal.calibration`), carried on the record it ran on.

    The search runs once, when a file is read (`io.readers.assemble.build_record`); quality
    checks, preprocessing, measurements and the paper view then reuse it instead of searching
    again. It belongs to that one record: it is valid only for the very signal array (identity,
    not equal values), rate and lead names it was found in, so a copy with another signal (a
    filtered view, a trimmed record, a sanity control) is searched afresh. Nothing is cached
    anywhere else.

    Attributes:
        signal: the (L, T) array that was searched (the same object, not a copy).
        fs_hz: its rate in Hz. lead_names: its row names.
        pulses: what the search found (0, 1 or 2 pulses, start first).
    """

    signal: npt.NDArray[np.float32]
    fs_hz: float
    lead_names: tuple[str, ...]
    pulses: tuple[CalibrationPulse, ...]

    def belongs_to(self, record: ECGRecord) -> bool:
        """True when `record` holds exactly the signal, rate and leads this search ran on."""
        return (
            self.signal is record.signal
            and self.fs_hz == record.fs_hz
            and self.lead_names == record.lead_names
        )


@dataclass(frozen=True)
class ECGRecord:
    """A multi-lead ECG in millivolts.

    Attributes:
        signal: float32 array of shape (L, T), millivolts, one row per lead.
        fs_hz: sampling rate in Hz.
        lead_names: L standard lead names (see `mets_core.leads.STANDARD_12_LEADS`), in row order.
        source: where the record came from (a file name or "synthetic"); never a patient name.
        notes: every adjustment made while reading, in plain words (e.g. "derived III from I, II").
        derived_leads: lead names that were computed (e.g. III from I and II) rather than recorded.
        file_info: values the file states about itself (device measurements, statements), keyed by
            a human-readable name; shown as "from the file".
        file_median_beats: the file's own median beats, when it stores them (None otherwise).
        patient_fields: patient identifiers the file states (name, ID, birth date). Hidden in the
            app unless the user asks; never logged, exported or cached across sessions; excluded
            from repr.
        calibration: the device-calibration-pulse search already run on this signal, or None
            (see `FoundPulses`; read it through `signal.calibration.find_calibration_pulses`).
    """

    signal: npt.NDArray[np.float32]
    fs_hz: float
    lead_names: tuple[str, ...]
    source: str = "unknown"
    notes: tuple[str, ...] = ()
    derived_leads: tuple[str, ...] = ()
    file_info: dict[str, str] = field(default_factory=dict)
    file_median_beats: FileMedianBeats | None = None
    patient_fields: dict[str, str] = field(default_factory=dict, repr=False)
    calibration: FoundPulses | None = field(default=None, repr=False, compare=False)

    @property
    def n_leads(self) -> int:
        return int(self.signal.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / float(self.fs_hz)

    def lead(self, name: str) -> npt.NDArray[np.float32]:
        """Return one lead (T,) by its standard name; raise ECGInputError if it is absent."""
        if name not in self.lead_names:
            raise ECGInputError(
                f"Lead {name} is not in this recording; it has {', '.join(self.lead_names)}."
            )
        return self.signal[self.lead_names.index(name)]

    def with_notes(self, *notes: str) -> ECGRecord:
        """Return a copy with extra notes appended."""
        return replace(self, notes=self.notes + tuple(notes))

    def validate(self) -> ECGRecord:
        """Check shape, rate, lead names and finiteness; return self so calls can chain.

        Raises:
            ECGInputError: on a wrong shape, a non-positive rate, unknown or duplicate lead names,
                or NaN / infinite samples.
        """
        signal = self.signal
        if signal.ndim != 2 or signal.shape[0] == 0 or signal.shape[1] == 0:
            raise ECGInputError(
                f"Expected a signal of shape (leads, samples); found shape {signal.shape}."
            )
        if signal.shape[0] != len(self.lead_names):
            raise ECGInputError(
                f"The recording has {signal.shape[0]} signal rows but {len(self.lead_names)} "
                "lead names."
            )
        if not np.isfinite(self.fs_hz) or self.fs_hz <= 0:
            raise ECGInputError(f"Expected a positive sampling rate in Hz; found {self.fs_hz}.")
        unknown = [name for name in self.lead_names if name not in STANDARD_12_LEADS]
        if unknown:
            raise ECGInputError(
                f"Unknown lead names {', '.join(unknown)}; expected some of "
                f"{', '.join(STANDARD_12_LEADS)}."
            )
        if len(set(self.lead_names)) != len(self.lead_names):
            raise ECGInputError(f"Lead names repeat: {', '.join(self.lead_names)}.")
        _check_finite(signal, self.lead_names)
        return self


def _check_finite(signal: npt.NDArray[np.float32], lead_names: tuple[str, ...]) -> None:
    bad = ~np.isfinite(signal)
    if bad.any():
        counts = bad.sum(axis=1)
        where = ", ".join(
            f"{n} ({c} samples)" for n, c in zip(lead_names, counts, strict=True) if c
        )
        raise ECGInputError(
            "The recording contains missing or infinite samples (NaN/inf) in lead(s) "
            f"{where}. Export the ECG again or repair the gaps before analysis."
        )
