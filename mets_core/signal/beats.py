"""Beats: R-peak detection, median (representative) beats and the global QRS duration.

Shared by `mets_core.signal.measurements` (intervals) and the app's signal view (R-peak markers, the
median-beat panel). neurokit2 does the detection at the record's own sampling rate.
"""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import numpy.typing as npt

from mets_core.record import ECGRecord
from mets_core.signal.calibration import blank_calibration_pulses
from mets_core.signal.clean import clean_ecg

DETECT_CLEAN_METHOD = "neurokit"  # cleaning before detection and delineation (see clean_lead)
AMPLITUDE_CLEAN_METHOD = "diagnostic"  # cleaning that keeps QRS heights (median beats shown)
PEAK_METHOD = "neurokit"  # nk.ecg_peaks: steepness-based QRS detector
NK_ERRORS = (ValueError, ZeroDivisionError, IndexError, TypeError)  # what neurokit2 raises
CONSENSUS_TOLERANCE_S = 0.1  # peaks of one beat in different leads lie within 100 ms
QRS_VELOCITY_FRACTION = 0.15  # QRS edge: spatial velocity below 15 % of its QRS peak
REFRACTORY_S = 0.2  # two QRS complexes are never closer than this (300 bpm)
EDGE_CHECK_S = 0.5  # beats this close to the record's edge are checked (see _edge_beats)
EDGE_MARGIN_S = 0.02  # a QRS cut by the record's edge (peak within this) is not a beat (s)
EDGE_BEAT_FRACTION = 0.6  # an edge beat is at least this tall and steep vs the detected ones


def clean_lead(
    signal: npt.NDArray[np.float32], fs_hz: float, method: str = DETECT_CLEAN_METHOD
) -> npt.NDArray[np.float64]:
    """One lead cleaned at its own rate (see `signal.clean_ecg`); NeuroKit warnings muted.

    Two methods, two jobs. "neurokit" (`nk.ecg_clean`: 0.5 Hz high-pass + NeuroKit's powerline
    moving average) is what R-peak detection and neurokit2's delineation were tuned on: on the
    13-15 format samples that state device values, it gives intervals closest to the devices'
    (median |difference| QRS 7 ms, QT 19 ms). Its moving average lowers QRS peaks by 15-35 % at
    500 Hz, so amplitudes (median beats shown to a user) use "diagnostic" (0.5 Hz high-pass +
    mains notch), whose median beats match the devices' own within 2 %.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clean_ecg(signal, fs_hz=fs_hz, method=method).astype(np.float64)


def detect_peaks(cleaned: npt.NDArray[np.float64], fs_hz: float) -> npt.NDArray[np.int64]:
    """R-peak sample indices from `nk.ecg_peaks`; empty when neurokit2 finds or can do nothing.

    neurokit2's detector skips a QRS in the first or last few hundred ms of a record (its
    smoothing windows are not yet filled: the QRS at 0.11 s of the bundled normal example was
    missed); `_edge_beats` adds such a beat back when it is as steep as the detected ones.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, info = nk.ecg_peaks(cleaned, sampling_rate=int(round(fs_hz)), method=PEAK_METHOD)
    except NK_ERRORS:
        return np.zeros(0, dtype=np.int64)
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=np.int64)
    return _edge_beats(cleaned, peaks, fs_hz)


def _steepness(slope: npt.NDArray[np.float64], index: int, half: int) -> float:
    return float(slope[max(index - half, 0) : index + half + 1].max())


def _edge_beats(
    cleaned: npt.NDArray[np.float64], peaks: npt.NDArray[np.int64], fs_hz: float
) -> npt.NDArray[np.int64]:
    """`peaks` checked and completed at the record's edges (see `detect_peaks`).

    Near the edges (`EDGE_CHECK_S`) neurokit2 both misses beats and, where the cleaning filter
    settles, finds false ones. A beat there must reach `EDGE_BEAT_FRACTION` of the median height
    (same sign) and steepness (largest |slope| within 40 ms) of the beats inside: a T wave or a
    filter transient is too small or too slow. A missed one is the largest such deflection more
    than `REFRACTORY_S` from the detected beats and `EDGE_MARGIN_S` from the edge.
    """
    edge = int(round(EDGE_CHECK_S * fs_hz))
    inner = peaks[(peaks >= edge) & (peaks < cleaned.size - edge)]
    if inner.size < 3:
        return peaks
    slope = np.abs(np.gradient(cleaned))
    half = max(1, int(round(0.04 * fs_hz)))
    sign = 1.0 if np.median(cleaned[inner]) >= 0 else -1.0
    height = EDGE_BEAT_FRACTION * float(np.median(sign * cleaned[inner]))
    steep = EDGE_BEAT_FRACTION * float(np.median([_steepness(slope, int(p), half) for p in inner]))

    def is_beat(index: int) -> bool:
        return sign * cleaned[index] >= height and _steepness(slope, index, half) >= steep

    found = [int(p) for p in peaks if edge <= p < cleaned.size - edge or is_beat(int(p))]
    gap, margin = int(round(REFRACTORY_S * fs_hz)), int(round(EDGE_MARGIN_S * fs_hz))
    spans = ((margin, found[0] - gap), (found[-1] + gap, cleaned.size - margin))
    for lo, hi in spans:
        if hi - lo >= half:
            index = lo + int(np.argmax(sign * cleaned[lo:hi]))
            found += [index] if is_beat(index) else []
    return np.asarray(sorted(found), dtype=np.int64)


def find_r_peaks(record: ECGRecord, lead: str = "II") -> npt.NDArray[np.float64]:
    """Find R-peaks in one lead with neurokit2 (cleaned first, at the record's own rate).

    Args:
        record: the ECG, signal (L, T) in mV.
        lead: standard lead name to detect on.

    Returns:
        R-peak times in seconds from the start of the record, shape (n_beats,); empty when no
        beats are found (flat or very short signal).

    Raises:
        ECGInputError: when `lead` is not in the record.

    Example:
        >>> sim = nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=70, random_state=0)
        >>> rec = ECGRecord(sim[None].astype("float32"), 500.0, ("II",))
        >>> len(find_r_peaks(rec, "II"))
        11
    """
    cleaned = clean_lead(record.lead(lead), record.fs_hz)
    return detect_peaks(cleaned, record.fs_hz) / float(record.fs_hz)


def consensus_r_peaks(record: ECGRecord, prefer: str | None = None) -> npt.NDArray[np.float64]:
    """R-peak times agreed by most leads (robust where one lead has small QRS or tall T waves).

    Peaks are detected in every lead; a beat is kept where at least half the leads (at least one)
    put a peak within `CONSENSUS_TOLERANCE_S` of each other, at the median of their times. Two
    kept beats closer than `REFRACTORY_S` are one beat seen at different times in different leads
    (e.g. a PVC in MLII and V1): the one more leads agree on is kept, on a tie the one `prefer`
    (the lead measured in) has a peak in.

    Args:
        record: the ECG, signal (L, T) in mV.
        prefer: lead name that breaks ties (None: the earlier beat).

    Returns:
        Beat times in seconds, sorted, shape (n_beats,); empty when no lead has beats.
    """
    per_lead = [find_r_peaks(record, name) for name in record.lead_names]
    if not per_lead:
        return np.zeros(0, dtype=np.float64)
    times = np.concatenate(per_lead)
    names = zip(record.lead_names, per_lead, strict=True)
    leads = np.concatenate([np.full(p.size, name) for name, p in names])
    order = np.argsort(times, kind="stable")
    needed = max(1, int(np.ceil(record.n_leads / 2)))
    groups: list[list[int]] = []
    for i in order:
        if groups and times[i] - times[groups[-1][0]] <= CONSENSUS_TOLERANCE_S:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    beats: list[tuple[float, int, bool]] = []  # (time, agreeing peaks, has a `prefer` peak)
    for group in (g for g in groups if len(g) >= needed):
        beat = (float(np.median(times[group])), len(group), bool(np.any(leads[group] == prefer)))
        if beats and beat[0] - beats[-1][0] < REFRACTORY_S:
            beats[-1] = max(beats[-1], beat, key=lambda b: b[1:])
        else:
            beats.append(beat)
    return np.asarray([b[0] for b in beats], dtype=np.float64)


def snap_to_lead(
    cleaned: npt.NDArray[np.float64],
    beats_s: npt.NDArray[np.float64],
    fs_hz: float,
    half_s: float = 0.05,
) -> npt.NDArray[np.int64]:
    """Beat times moved to the largest deflection of a cleaned lead within `half_s` (samples)."""
    half = max(1, int(round(half_s * fs_hz)))
    centred = np.abs(cleaned - np.median(cleaned))
    out = []
    for t in beats_s:
        i = int(round(t * fs_hz))
        lo, hi = max(i - half, 0), min(i + half + 1, cleaned.size)
        if hi > lo:
            out.append(lo + int(np.argmax(centred[lo:hi])))
    return np.asarray(out, dtype=np.int64)


def median_beats(
    record: ECGRecord,
    *,
    window_s: tuple[float, float] = (-0.25, 0.45),
    lead: str = "II",
    clean_method: str = DETECT_CLEAN_METHOD,
) -> dict[str, npt.NDArray[np.float32]]:
    """Median (representative) beat of every lead, aligned on the R-peaks of one lead.

    Beats are the multi-lead consensus (`consensus_r_peaks`), snapped to the largest deflection
    of the aligning lead; a device calibration pulse is held flat first.

    Args:
        record: the ECG, signal (L, T) in mV.
        window_s: beat window around each R-peak in seconds, (start, end), start negative.
        lead: lead whose R-peaks align all leads (lead II by convention; falls back to the first
            lead when II is absent).
        clean_method: `clean_lead` method; AMPLITUDE_CLEAN_METHOD for beats shown to a user.

    Returns:
        {lead name: float32 (W,) mV}, W = round((end - start) * fs_hz); empty when fewer than
        one complete beat window fits.
    """
    align = lead if lead in record.lead_names else record.lead_names[0]
    record, _ = blank_calibration_pulses(record)
    cleaned = np.stack([clean_lead(row, record.fs_hz, clean_method) for row in record.signal])
    align_row = cleaned[record.lead_names.index(align)]
    peaks = snap_to_lead(align_row, consensus_r_peaks(record, align), record.fs_hz)
    start = int(round(window_s[0] * record.fs_hz))
    width = int(round((window_s[1] - window_s[0]) * record.fs_hz))
    starts = [p + start for p in peaks if p + start >= 0 and p + start + width <= record.n_samples]
    if not starts:
        return {}
    beats = np.stack([cleaned[:, s : s + width] for s in starts])  # (B, L, W)
    medians = np.median(beats, axis=0).astype(np.float32)
    return {name: medians[i] for i, name in enumerate(record.lead_names)}


def global_qrs_bounds(
    medians: dict[str, npt.NDArray[np.float32]], fs_hz: float, r_index: int
) -> tuple[int, int] | None:
    """QRS onset and offset over all leads at once, from the median beats (as ECG machines do).

    The spatial velocity sum_leads |d beat / dt| is high only during the QRS; its edges are where
    it falls below `QRS_VELOCITY_FRACTION` of its peak near the R-peak, searched up to 150 ms
    before and 200 ms after. Per-lead delineation misses QRS parts that are isoelectric in that
    lead and underestimates broad complexes (e.g. LBBB).

    Args:
        medians: {lead: (W,) mV} median beats sharing one time axis.
        fs_hz: sampling rate in Hz.
        r_index: index of the aligning R-peak within each median beat.

    Returns:
        (onset, offset) sample indices within the median beat, or None without beats.
    """
    if not medians:
        return None
    velocity = np.abs(np.gradient(np.stack(list(medians.values())), axis=1)).sum(axis=0)
    near = velocity[max(r_index - int(0.06 * fs_hz), 0) : r_index + int(0.06 * fs_hz) + 1]
    threshold = QRS_VELOCITY_FRACTION * float(near.max())
    onset, offset = r_index, r_index
    while onset > max(r_index - int(0.15 * fs_hz), 0) and velocity[onset] > threshold:
        onset -= 1
    last = min(r_index + int(0.2 * fs_hz), velocity.size - 1)
    while offset < last and velocity[offset] > threshold:
        offset += 1
    return onset, offset
