"""What a printed reading says, as plain data: no drawing here (see `reading.page`).

Every sentence comes from where the app takes it: measurements from `signal.measurements` and
`signal.file_values`, the ranking's cautions, abstain reason and probability meaning from
`zeroshot.rank`, the disclaimer from `zeroshot.disclaimer`. Patient identifiers are left out unless
the caller asks for them, and the record's file name (`ECGRecord.source`) is never used: the
reading names its source by the caller's neutral label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from mets_core.errors import ECGInputError
from mets_core.record import ECGRecord
from mets_core.signal.display_filter import DISPLAY_MODES, describe_display_filter
from mets_core.signal.file_values import file_statements, side_by_side
from mets_core.signal.measurements import Measurements, measure_intervals
from mets_core.zeroshot.disclaimer import DISCLAIMER
from mets_core.zeroshot.rank import Ranking, probability_meaning

PAPER_SIZES_MM = {"A4": (297.0, 210.0), "letter": (279.4, 215.9)}  # landscape (width, height)
FILTERS = (*DISPLAY_MODES, "raw")  # the paper view's display filters (signal.display_filter)
SPEEDS_MM_S = (25.0, 50.0)
GAINS_MM_MV = (5.0, 10.0, 20.0)
TITLE = "METS zero-shot ECG reading"


@dataclass(frozen=True)
class PrintSettings:
    """How the tracing is printed.

    Attributes:
        speed_mm_s: paper speed in mm/s (25 or 50).
        gain_mm_mv: gain in mm/mV (5, 10 or 20).
        filter: a display filter of the paper view ("diagnostic" 0.05-150 Hz, the default, or
            "monitor" 0.5 Hz high-pass; `signal.display_filter`) or "raw" (none).
        powerline_hz: mains frequency the display filter notches out, Hz (50 or 60).
        paper: "A4" or "letter", both landscape; the tracing is at true scale on either.
    """

    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    filter: str = "diagnostic"
    powerline_hz: float = 50.0
    paper: str = "A4"

    def validate(self) -> PrintSettings:
        """Return self when every setting is one a printout offers.

        Raises:
            ECGInputError: naming the setting, what it was and the valid choices.
        """
        choices = {
            "speed (mm/s)": (self.speed_mm_s, SPEEDS_MM_S),
            "gain (mm/mV)": (self.gain_mm_mv, GAINS_MM_MV),
            "filter": (self.filter, FILTERS),
            "mains frequency (Hz)": (self.powerline_hz, (50.0, 60.0)),
            "paper": (self.paper, tuple(PAPER_SIZES_MM)),
        }
        for name, (value, valid) in choices.items():
            if value not in valid:
                options = ", ".join(f"{v:g}" if isinstance(v, float) else v for v in valid)
                raise ECGInputError(f"The printout {name} must be one of {options}; got {value!r}.")
        return self

    def filter_text(self, fs_hz: float) -> str:
        """The filter in words, as the paper view names it, for a record at `fs_hz`."""
        if self.filter == "raw":
            return "none (raw signal)"
        described = describe_display_filter(self.filter, fs_hz, self.powerline_hz)
        return described.label + (f" ({described.note})" if described.note else "")


@dataclass(frozen=True)
class MeasurementRow:
    """One measurement: computed here beside the file's value, each without its remark.

    `why_missing`: why nothing was computed; `stated_note`: the remark on the file's value (e.g.
    "device's formula, not stated"), printed on a line of their own.
    """

    name: str
    computed: str
    stated: str
    why_missing: str | None = None
    stated_note: str | None = None


@dataclass(frozen=True)
class RankingRow:
    """One ranked candidate as printed (probability and percentile in %)."""

    rank: int
    candidate: str
    probability_pct: float
    percentile_pct: float | None
    cosine: float


@dataclass(frozen=True)
class Reading:
    """Everything the printed page says besides the tracing itself.

    Attributes:
        label: the neutral source label given by the caller (never the file name).
        read_at: when the reading was made (timezone-aware).
        record_line: leads, rate and duration, e.g. "12 leads, 500 Hz, 10.0 s".
        weights_id: weights name and SHA-256 prefix, e.g. "mets_resnet18 · sha256 dc4a813f13be".
        trained: False for random-init weights (printed as a warning).
        settings: the print settings; `settings_line` says them in words.
        measurements: computed and file-stated values; `measured_on`: how they were computed.
        statements: the device's own statements stated in the file (not METS output).
        ranking: candidates best first; `n_candidates` how many were ranked.
        abstain_reason: why the model should not read this input (None: it may).
        cautions: the ranking's cautions (near-tie, unknown words, uniform scores).
        caveats: what the numbers mean and what METS is not, in plain words.
        notes: how the file was read (file name and patient values removed).
        patient: patient identifiers from the file; empty unless asked for.
    """

    label: str
    read_at: datetime
    record_line: str
    weights_id: str
    trained: bool
    settings: PrintSettings
    settings_line: str
    measurements: tuple[MeasurementRow, ...]
    measured_on: str
    statements: tuple[str, ...]
    ranking: tuple[RankingRow, ...]
    n_candidates: int
    abstain_reason: str | None
    cautions: tuple[str, ...]
    caveats: tuple[str, ...]
    notes: tuple[str, ...]
    patient: tuple[tuple[str, str], ...]

    @property
    def read_at_text(self) -> str:
        """The reading's date and time in UTC, e.g. "2026-11-30 00:12 UTC"."""
        return self.read_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def shown_seconds(record: ECGRecord, settings: PrintSettings, width_mm: float = 250.0) -> float:
    """Seconds of the recording that fit `width_mm` of paper at the print speed (10 s at most)."""
    return min(record.duration_s, 10.0, width_mm / settings.speed_mm_s)


def weights_id(ranking: Ranking) -> str:
    """The weights' name and the first 12 hex digits of their SHA-256 (sidecar), as printed."""
    weights = ranking.weights
    digest = f" · sha256 {weights.sha256[:12]}" if weights.sha256 else " · no sha256"
    return f"{weights.name}{digest}"


def build_reading(
    record: ECGRecord,
    ranking: Ranking,
    *,
    label: str,
    settings: PrintSettings | None = None,
    include_patient: bool = False,
    read_at: datetime | None = None,
    measurements: Measurements | None = None,
) -> Reading:
    """Collect what a one-page printed reading says about `record` and its `ranking`.

    Args:
        record: the ECG that was ranked (signal (L, T) in mV).
        ranking: `zeroshot.rank.rank(model, record, ...)` for it.
        label: how the page names the source, e.g. "Upload 1, GE MUSE XML"; the caller must not
            pass the file name unless the user asked for it.
        settings: print settings (default 25 mm/s, 10 mm/mV, diagnostic 0.05-150 Hz, A4).
        include_patient: print the patient identifiers the file states (off by default).
        read_at: the time of the reading (default: now).
        measurements: `measure_intervals(record)` if already computed (computed here otherwise).

    Returns:
        The reading's content, ready for `reading.page.draw_reading`.

    Raises:
        ECGInputError: for print settings a printout does not offer.
    """
    settings = (settings or PrintSettings()).validate()
    measured = measurements if measurements is not None else measure_intervals(record)
    private = _private_strings(record)
    cautions = ((ranking.uniformity_warning,) if ranking.uniformity_warning else ()) + tuple(
        ranking.cautions
    )
    return Reading(
        label=label,
        read_at=read_at or datetime.now(timezone.utc),
        record_line=f"{record.n_leads} leads, {record.fs_hz:g} Hz, {record.duration_s:.1f} s",
        weights_id=weights_id(ranking),
        trained=ranking.weights.trained,
        settings=settings,
        settings_line=_settings_line(record, settings),
        measurements=_measurement_rows(measured, record.file_info),
        measured_on=f"here: neurokit2, lead {measured.lead}, {measured.n_beats} beats; "
        "file: the device's own",
        statements=tuple(file_statements(record.file_info)),
        ranking=_ranking_rows(ranking),
        n_candidates=len(ranking),
        abstain_reason=ranking.abstain_reason if ranking.abstain else None,
        cautions=cautions,
        caveats=(probability_meaning(ranking), DISCLAIMER),
        notes=tuple(n for n in ranking.notes if not any(p in n for p in private)),
        patient=tuple(record.patient_fields.items()) if include_patient else (),
    )


def _private_strings(record: ECGRecord) -> tuple[str, ...]:
    """The file name (and its stem) and every patient value: no printed note may carry them."""
    name = record.source.rpartition(": ")[2]  # "archive.zip: inner.xml" -> "inner.xml"
    stems = {record.source, name, name.rpartition(".")[0]}
    values = set(record.patient_fields.values())
    return tuple(s for s in stems | values if len(s) >= 3 and s not in ("unknown", "synthetic"))


def _settings_line(record: ECGRecord, settings: PrintSettings) -> str:
    shown = shown_seconds(record, settings)
    parts = [
        f"{settings.speed_mm_s:g} mm/s",
        f"{settings.gain_mm_mv:g} mm/mV",
        f"filter: {settings.filter_text(record.fs_hz)}",
        f"{record.fs_hz:g} Hz",
    ]
    if record.duration_s > shown + 1e-9:
        parts.append(f"first {shown:g} s of {record.duration_s:.1f} s shown")
    return " · ".join(parts)


def _measurement_rows(
    measured: Measurements, file_info: dict[str, str]
) -> tuple[MeasurementRow, ...]:
    rows = []
    for row in side_by_side(measured, file_info):
        computed, why = _split_remark(row["computed here"])
        stated, note = _split_remark(row["stated by the file"])
        rows.append(MeasurementRow(row["measurement"], computed, stated, why, note))
    return tuple(rows)


def _split_remark(text: str) -> tuple[str, str | None]:
    """ "491 ms (device's formula, not stated)" -> ("491 ms", "device's formula, not stated")."""
    value, _, remark = text.partition(" (")
    return (value, remark[:-1]) if remark.endswith(")") else (text, None)


def _ranking_rows(ranking: Ranking) -> tuple[RankingRow, ...]:
    return tuple(
        RankingRow(
            position,
            item.candidate,
            100.0 * item.probability,
            item.percentile,
            item.cosine,
        )
        for position, item in enumerate(ranking, start=1)
    )
