"""Clinical intervals computed here with neurokit2: rate, PR, QRS, QT, QTc, frontal QRS axis.

Every value carries its source ("computed here (neurokit2 ...)") so the app can show it beside the
values a file states about itself (`ECGRecord.file_info`, "from the file"). Where neurokit2 cannot
find or delineate beats (short, flat or noisy records), the value is None with the reason; nothing
here raises on a difficult signal.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import neurokit2 as nk
import numpy as np
import numpy.typing as npt

from mets_core.record import ECGRecord
from mets_core.signal.beats import (
    AMPLITUDE_CLEAN_METHOD,
    NK_ERRORS,
    PEAK_METHOD,
    clean_lead,
    consensus_r_peaks,
    find_r_peaks,
    global_qrs_bounds,
    median_beats,
    snap_to_lead,
)
from mets_core.signal.calibration import blank_calibration_pulses

__all__ = [
    "Measurement",
    "Measurements",
    "consensus_r_peaks",
    "find_r_peaks",
    "measure_intervals",
    "median_beats",
]

DELINEATE_METHOD = "prominence"  # nk.ecg_delineate: prominence-based (Emrich et al. 2023)
MIN_DURATION_S = 2.0
MIN_BEATS = 3
# Median values outside these ranges are treated as failed delineation, not reported (ms).
PLAUSIBLE_MS = {"PR": (60.0, 400.0), "QRS": (40.0, 250.0), "QT": (200.0, 700.0)}
MEDIAN_WINDOW_S = (-0.25, 0.45)  # median-beat window around the R-peak (s)
R_REFINE_S = 0.02  # drawn R-peaks: the tallest deflection within 20 ms of the detected beat
PR_MAX_IQR_MS = 40.0  # P waves not locked to the QRS (e.g. AF): PR not reported


@dataclass(frozen=True)
class Measurement:
    """One measured value with its unit, provenance and, when absent, the reason.

    Attributes:
        name: e.g. ``"QTc (Bazett)"``.
        value: the value, or None when it could not be measured.
        unit: ``"bpm"``, ``"ms"`` or ``"degrees"``.
        source: how it was obtained, e.g. ``"computed here (neurokit2 dwt delineation, lead II)"``.
        reason: why `value` is None (None when there is a value).
    """

    name: str
    value: float | None
    unit: str
    source: str
    reason: str | None = None


@dataclass(frozen=True)
class Measurements:
    """The interval set for one record; `values` is in display order.

    `r_peaks_s` holds the beats every value was measured from (R-peak times in s in `lead`,
    shape (n_beats,)): the tracing marks exactly these.
    """

    values: tuple[Measurement, ...]
    lead: str
    n_beats: int
    notes: tuple[str, ...] = field(default=())
    r_peaks_s: tuple[float, ...] = field(default=())

    def get(self, name: str) -> Measurement:
        """Return the measurement called `name` (e.g. ``"QRS"``); KeyError if absent."""
        for item in self.values:
            if item.name == name:
                return item
        raise KeyError(name)

    def as_rows(self) -> list[dict[str, str]]:
        """Rows for a table: measurement, value, source (value shows the reason when absent)."""
        return [
            {
                "measurement": m.name,
                "value": f"{m.value:.0f} {m.unit}" if m.value is not None else f"— ({m.reason})",
                "source": m.source,
            }
            for m in self.values
        ]


def _source(what: str, lead: str) -> str:
    return f"computed here (neurokit2 {what}, lead {lead})"


def _missing(name: str, unit: str, source: str, reason: str) -> Measurement:
    return Measurement(name, None, unit, source, reason)


def _checked(name: str, values_ms: np.ndarray, source: str, min_count: int = 2) -> Measurement:
    """Median of per-beat values (ms), or None with the reason when too few or implausible."""
    valid = values_ms[np.isfinite(values_ms) & (values_ms > 0)]
    low, high = PLAUSIBLE_MS[name]
    if valid.size < min_count:
        return _missing(name, "ms", source, "waves not delineated in enough beats")
    value = float(np.median(valid))
    if not low <= value <= high:
        return _missing(name, "ms", source, f"got {value:.0f} ms, outside {low:.0f}-{high:.0f} ms")
    if name == "PR" and np.subtract(*np.percentile(valid, [75, 25])) > PR_MAX_IQR_MS:
        reason = "P waves not consistently linked to the QRS (e.g. atrial fibrillation)"
        return _missing(name, "ms", source, reason)
    beats = f", median of {valid.size} beats" if valid.size > 1 else ""
    return Measurement(name, value, "ms", source + beats)


def _wave_intervals(
    waves: dict[str, list[float]], fs_hz: float, source: str
) -> dict[str, Measurement]:
    """PR, QRS, QT from the per-beat wave boundaries that neurokit2 delineated."""
    n_beats = max((len(v) for v in waves.values()), default=0)

    def at(key: str) -> np.ndarray:  # one value per beat (NaN where neurokit2 gave none), in ms
        values = np.asarray(waves.get(key, []), dtype=float) * 1000.0 / fs_hz
        return values if values.size == n_beats else np.full(n_beats, np.nan)

    return {
        "PR": _checked("PR", at("ECG_R_Onsets") - at("ECG_P_Onsets"), source),
        "QRS": _checked("QRS", at("ECG_R_Offsets") - at("ECG_R_Onsets"), source),
        "QT": _checked("QT", at("ECG_T_Offsets") - at("ECG_R_Onsets"), source),
    }


def _delineate(
    cleaned: npt.NDArray[np.float64], peaks: npt.NDArray[np.int64], fs_hz: float
) -> tuple[dict[str, list[float]] | None, str | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, waves = nk.ecg_delineate(
                cleaned, peaks, sampling_rate=int(round(fs_hz)), method=DELINEATE_METHOD
            )
    except NK_ERRORS as error:
        return None, f"neurokit2 could not delineate the waves ({error})"
    return waves, None


def _complete_beats(peaks: npt.NDArray[np.int64], record: ECGRecord) -> npt.NDArray[np.int64]:
    """Beats whose whole median-beat window (P wave to T wave) lies inside the recording."""
    before, after = (int(round(abs(s) * record.fs_hz)) for s in MEDIAN_WINDOW_S)
    return peaks[(peaks >= before) & (peaks + after <= record.n_samples)]


def _qtc(qt: Measurement, rr_ms: float) -> list[Measurement]:
    """QTc by Bazett (QT / RR^1/2) and Fridericia (QT / RR^1/3), RR in seconds."""
    rr_s = rr_ms / 1000.0
    out = []
    for name, power in (("QTc (Bazett)", 0.5), ("QTc (Fridericia)", 1.0 / 3.0)):
        source = f"{qt.source}; {name.split('(')[1].rstrip(')')} formula on mean RR"
        if qt.value is None:
            out.append(_missing(name, "ms", qt.source, f"no QT ({qt.reason})"))
        else:
            out.append(Measurement(name, qt.value / rr_s**power, "ms", source))
    return out


def _qrs_and_axis(record: ECGRecord, lead: str) -> tuple[Measurement | None, Measurement]:
    """Global QRS duration (None with < 3 leads) and frontal axis, both from median beats.

    Axis: with Einthoven's triangle, I = E cos(a) and aVF = E sin(a) sqrt(3)/2, so
    a = atan2(2 aVF / sqrt(3), I), from the net QRS areas; aVF = II - I/2 when not recorded.
    """
    name, source = "QRS axis (frontal)", "computed here (net QRS area of median beats, I and aVF)"
    medians = median_beats(record, window_s=MEDIAN_WINDOW_S, lead=lead)
    r_index = int(round(-MEDIAN_WINDOW_S[0] * record.fs_hz))
    bounds = global_qrs_bounds(medians, record.fs_hz, r_index)
    if bounds is None:
        return None, _missing(name, "degrees", source, "no complete beat to average")
    onset, offset = bounds
    qrs = None
    if record.n_leads >= 3:
        qrs_ms = (offset - onset) * 1000.0 / record.fs_hz
        qrs_src = f"computed here (median beats of {record.n_leads} leads, spatial velocity)"
        qrs = _checked("QRS", np.array([qrs_ms]), qrs_src, min_count=1)
    if "I" not in medians or not ({"aVF", "II"} & set(medians)):
        return qrs, _missing(name, "degrees", source, "needs leads I and aVF (or I and II)")
    base = slice(max(onset - int(round(0.02 * record.fs_hz)), 0), onset + 1)
    net = {k: float(np.sum(v[onset:offset] - np.median(v[base]))) for k, v in medians.items()}
    if "aVF" in net:
        avf = net["aVF"]
    else:
        avf, source = net["II"] - net["I"] / 2.0, source + " (aVF derived as II - I/2)"
    angle = math.degrees(math.atan2(2.0 * avf / math.sqrt(3.0), net["I"]))
    return qrs, Measurement(name, angle, "degrees", source)


def measure_intervals(record: ECGRecord, *, lead: str = "II") -> Measurements:
    """Heart rate, RR, PR, QRS, QT, QTc (Bazett, Fridericia) and frontal QRS axis.

    Beats are found in every lead and kept where most leads agree (`consensus_r_peaks`), then
    delineated in one lead with neurokit2 (`ecg_clean` "neurokit",
    `ecg_peaks` "neurokit", `ecg_delineate` "prominence") at the record's own rate (100 Hz works,
    with 10 ms resolution). With 3 or more leads the QRS duration is global, from the median
    beats of all leads (`mets_core.beats.global_qrs_bounds`). Intervals are medians over beats; a
    median outside a plausible range (`PLAUSIBLE_MS`), or a PR that varies beat to beat by more
    than `PR_MAX_IQR_MS` (no P waves, as in AF), is None with the reason, never a number.

    Args:
        record: the ECG, signal (L, T) in mV.
        lead: lead to measure in; when absent the first lead is used and a note says so.

    Returns:
        `Measurements`; values that could not be measured are None with a reason.

    Example:
        >>> sim = nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=70, random_state=0)
        >>> rec = ECGRecord(sim[None].astype("float32"), 500.0, ("II",))
        >>> round(measure_intervals(rec).get("Heart rate").value)
        70
    """
    notes: list[str] = []
    if lead not in record.lead_names:
        notes.append(f"lead {lead} is absent; measured in lead {record.lead_names[0]}")
        lead = record.lead_names[0]
    record, _ = blank_calibration_pulses(record)  # the signal view says so once, beside it
    cleaned = clean_lead(record.lead(lead), record.fs_hz)
    peaks: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
    if record.duration_s >= MIN_DURATION_S:
        peaks = snap_to_lead(cleaned, consensus_r_peaks(record, lead), record.fs_hz)
    if len(peaks) < MIN_BEATS:
        reason = (
            f"recording shorter than {MIN_DURATION_S:.0f} s"
            if record.duration_s < MIN_DURATION_S
            else f"fewer than {MIN_BEATS} beats found in lead {lead}"
        )
        return _all_missing(lead, reason, notes)
    # neurokit2's cleaning delays the QRS by a few ms (6 ms at 500 Hz); the peaks drawn and timed
    # are put back on the R wave of the amplitude-keeping (zero-phase) cleaning
    amplitude = clean_lead(record.lead(lead), record.fs_hz, AMPLITUDE_CLEAN_METHOD)
    shown = snap_to_lead(amplitude, peaks / record.fs_hz, record.fs_hz, R_REFINE_S)
    rr_ms = float(np.mean(np.diff(shown))) * 1000.0 / record.fs_hz
    src_peaks = _source(f"{PEAK_METHOD} R-peaks agreed across leads, {len(peaks)} beats", lead)
    waves, failure = _delineate(cleaned, _complete_beats(peaks, record), record.fs_hz)
    src_waves = _source(f"{DELINEATE_METHOD} delineation", lead)
    if waves is None:
        spans = {n: _missing(n, "ms", src_waves, failure) for n in ("PR", "QRS", "QT")}
    else:
        spans = _wave_intervals(waves, record.fs_hz, src_waves)
    global_qrs, axis = _qrs_and_axis(record, lead)
    spans["QRS"] = global_qrs or spans["QRS"]
    values = (
        Measurement("Heart rate", 60000.0 / rr_ms, "bpm", src_peaks + ", 60000 / mean RR"),
        Measurement("RR", rr_ms, "ms", src_peaks + ", mean"),
        spans["PR"],
        spans["QRS"],
        spans["QT"],
        *_qtc(spans["QT"], rr_ms),
        axis,
    )
    r_peaks_s = tuple(float(p) / record.fs_hz for p in shown)
    return Measurements(values, lead, len(peaks), tuple(notes), r_peaks_s)


_NAMES_UNITS = (
    ("Heart rate", "bpm"),
    ("RR", "ms"),
    ("PR", "ms"),
    ("QRS", "ms"),
    ("QT", "ms"),
    ("QTc (Bazett)", "ms"),
    ("QTc (Fridericia)", "ms"),
    ("QRS axis (frontal)", "degrees"),
)


def _all_missing(lead: str, reason: str, notes: list[str]) -> Measurements:
    source = _source(f"{PEAK_METHOD} R-peaks", lead)
    values = tuple(_missing(name, unit, source, reason) for name, unit in _NAMES_UNITS)
    return Measurements(values, lead, 0, tuple(notes))
