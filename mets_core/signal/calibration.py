"""Device calibration pulses: the square 1 mV step some machines write into the rhythm itself.

A Philips PageWriter / Sierra XML file, for example, holds 11 s per lead: 10.5 s of ECG, then the
device's own reference segment, 0 mV for about 0.1 s, a 1 mV flat top for 0.2 s (10.7-10.9 s) and
0 mV to the end, on every lead. It is not ECG: read as ECG it looks like clipping (a flat run at
the lead's maximum) and the model would see a step no training record had.

`find_calibration_pulses` finds such a segment: a flat-topped rectangular step of about 0.5, 1 or
2 mV, lasting `PLATEAU_S`, sitting on a flat baseline, within `EDGE_S` of the start or the end of
the record, at the same time on at least half of the leads. Everything else that uses the signal
as ECG (quality flags, beats and measurements, the model input) calls `blank_calibration_pulses`
or `trim_calibration_pulses` first; the paper view draws the pulse and labels it.

The search runs once per record: reading a file (`io.readers.assemble.build_record`) runs it and
carries the result on the record (`ECGRecord.calibration`, see `record.FoundPulses`), and
`find_calibration_pulses` returns that result for as long as the record holds the same signal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from mets_core.record import ECGRecord, FoundPulses

PULSE_LABEL = "device calibration pulse"  # the one wording on the tracing and in notes
PULSE_AMPLITUDES_MV = (0.5, 1.0, 2.0)  # standard calibration heights (5, 10, 20 mm at 10 mm/mV)
AMPLITUDE_TOLERANCE = 0.15  # a step within 15 % of one of those heights
PLATEAU_S = (0.08, 0.6)  # flat top duration range (s); devices use 0.1-0.5 s
EDGE_S = 1.0  # the pulse lies within this time of the start or end of the record (s)
STEP_TOLERANCE_MV = 0.012  # flat: consecutive samples differ by at most this (5 uV quantisation)
FLAT_RANGE_MV = 0.03  # and the whole run spans at most this
EDGE_GAP_S = 0.01  # a square edge: the step takes at most this long (s)
MIN_BASELINE_S = 0.04  # the flat baseline beside the top lasts at least this (s)
MAX_BASELINE_S = 0.3  # a baseline run counts as part of the device segment up to this long (s)
TIMING_TOLERANCE_S = 0.02  # leads agree on the pulse when its edges lie within this (s)


@dataclass(frozen=True)
class CalibrationPulse:
    """A device calibration pulse found in the record.

    Attributes:
        start_s, stop_s: the flat top (the pulse itself), seconds from the record start.
        segment_start_s, segment_stop_s: the whole device segment (flat baseline, top, baseline),
            the span kept away from everything that reads the signal as ECG.
        amplitude_mv: height of the step (median over leads), mV.
        leads: leads that carry it.
        at_end: True when it sits at the end of the record, False at the start.
    """

    start_s: float
    stop_s: float
    segment_start_s: float
    segment_stop_s: float
    amplitude_mv: float
    leads: tuple[str, ...]
    at_end: bool

    def describe(self) -> str:
        """One plain sentence: what, where, and on how many leads."""
        return (
            f"{PULSE_LABEL} ({self.amplitude_mv:.1f} mV, {self.start_s:.2f}-{self.stop_s:.2f} s, "
            f"{len(self.leads)} leads)"
        )


@dataclass(frozen=True)
class _LeadPulse:
    top: tuple[int, int]  # flat top [start, stop) in samples
    segment: tuple[int, int]  # top with its flat baselines
    step_mv: float


def _candidate_runs(
    excerpt: npt.NDArray[np.float64], shortest: int, longest: int, gap: int
) -> list[list[tuple[int, int]]]:
    """Per row of `excerpt` (L, E), the [start, stop) runs that could be a pulse's flat top.

    A run of `shortest`-`longest` samples whose consecutive samples differ by
    <= STEP_TOLERANCE_MV and which spans <= FLAT_RANGE_MV, with a jump of at least
    `_MIN_JUMP_MV` to the sample `gap` away on one side (where `_lead_pulse` needs a
    calibration-sized step). Runs are found for all leads at once; an ECG has hundreds of short
    flat runs, and only these few are looked at one by one.
    """
    flat = np.abs(np.diff(excerpt, axis=1)) <= STEP_TOLERANCE_MV  # (L, E - 1)
    padded = np.zeros((flat.shape[0], flat.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = flat
    change = np.diff(padded, axis=1)
    lead, start = np.nonzero(change == 1)  # row-major: each row's starts and stops pair up
    stop = np.nonzero(change == -1)[1] + 1
    length = stop - start
    keep = (length >= shortest) & (length <= longest)
    lead, start, stop = lead[keep], start[keep], stop[keep]
    width = excerpt.shape[1]
    top = excerpt[lead, start]
    before, after = start - gap, stop + gap - 1  # the baselines' samples nearest the top
    jump_before = np.abs(top - excerpt[lead, np.clip(before, 0, width - 1)]) * (before >= 0)
    jump_after = np.abs(top - excerpt[lead, np.clip(after, 0, width - 1)]) * (after < width)
    keep = np.maximum(jump_before, jump_after) >= _MIN_JUMP_MV
    runs: list[list[tuple[int, int]]] = [[] for _ in range(len(excerpt))]
    for row, a, b in zip(lead[keep], start[keep], stop[keep], strict=True):
        if np.ptp(excerpt[row, a:b]) <= FLAT_RANGE_MV:
            runs[row].append((int(a), int(b)))
    return runs


# The top's median lies within FLAT_RANGE_MV of any of its samples, and a baseline's within it of
# the baseline sample nearest the top: a calibration-sized step (>= the smallest height minus
# its tolerance) therefore shows as a jump of at least this between those two samples.
_MIN_JUMP_MV = min(PULSE_AMPLITUDES_MV) * (1.0 - AMPLITUDE_TOLERANCE) - 2.0 * FLAT_RANGE_MV - 1e-6


def _is_calibration_step(step_mv: float) -> bool:
    return any(abs(abs(step_mv) - h) <= AMPLITUDE_TOLERANCE * h for h in PULSE_AMPLITUDES_MV)


def _baseline_step(x: npt.NDArray[np.floating], level: float, lo: int, hi: int) -> float | None:
    """The step from a flat baseline x[lo:hi] up (or down) to `level`, if calibration-sized."""
    if lo < 0 or hi > x.size or hi - lo < 2 or np.ptp(x[lo:hi]) > FLAT_RANGE_MV:
        return None
    base = float(np.median(x[lo:hi]))
    step = level - base
    return step if _is_calibration_step(step) else None


def _extent(
    x: npt.NDArray[np.floating], base: float, index: int, direction: int, limit: int
) -> int:
    """Walk from `index` in `direction` while x stays at `base`; at most `limit` samples."""
    n = 0
    while n < limit and 0 <= index + direction * n < x.size:
        if abs(x[index + direction * n] - base) > FLAT_RANGE_MV:
            break
        n += 1
    return n


def _lead_pulse(
    x: npt.NDArray[np.floating],
    fs_hz: float,
    offset: int,
    at_end: bool,
    runs: list[tuple[int, int]],
) -> _LeadPulse | None:
    """The pulse in one edge excerpt `x` (samples `offset`.. of the lead), or None.

    `runs` are the excerpt's possible flat tops (`_candidate_runs`).

    A flat top of `PLATEAU_S` length, with a flat baseline of `MIN_BASELINE_S` just before and
    just after it (or, where the top reaches the record's edge, on its inner side only), each a
    calibration-sized step away. Tops with baselines on both sides are preferred, and among
    them upward steps (a lead whose ECG rests 1 mV above the device's baseline makes that baseline
    look like a downward pulse).
    """
    gap = _gap_samples(fs_hz)
    min_base, max_base = (int(round(s * fs_hz)) for s in (MIN_BASELINE_S, MAX_BASELINE_S))
    candidates: list[tuple[bool, bool, _LeadPulse]] = []  # (cut off, downward, pulse)
    for a, b in runs:
        level = float(np.median(x[a:b]))
        before = _baseline_step(x, level, a - gap - min_base, a - gap + 1)
        after = _baseline_step(x, level, b + gap - 1, b + gap + min_base)
        touches_edge = b >= x.size - gap if at_end else a <= gap
        if before and after and abs(before - after) <= AMPLITUDE_TOLERANCE * abs(before):
            start = a - _extent(x, level - before, a - 1, -1, max_base)
            stop = b + _extent(x, level - after, b, 1, max_base)
            stop = x.size if at_end and x.size - stop <= gap else stop
            start = 0 if not at_end and start <= gap else start
            pulse = _LeadPulse((a + offset, b + offset), (start + offset, stop + offset), before)
            candidates.append((False, before < 0, pulse))
            continue
        inner = before if at_end else after
        if touches_edge and (after if at_end else before) is None and inner is not None:
            pulse = _LeadPulse((a + offset, b + offset), (a + offset, b + offset), inner)
            candidates.append((True, inner < 0, pulse))
    return min(candidates, key=lambda c: c[:2])[2] if candidates else None


def _agreeing(found: dict[str, _LeadPulse], fs_hz: float) -> list[str]:
    """Leads whose pulse edges match the most common timing within TIMING_TOLERANCE_S."""
    tolerance = TIMING_TOLERANCE_S * fs_hz
    best: list[str] = []
    for pulse in found.values():
        same = [
            name
            for name, other in found.items()
            if abs(other.top[0] - pulse.top[0]) <= tolerance
            and abs(other.top[1] - pulse.top[1]) <= tolerance
        ]
        best = same if len(same) > len(best) else best
    return best


def _gap_samples(fs_hz: float) -> int:
    return max(2, int(round(EDGE_GAP_S * fs_hz)))


def _find_at(record: ECGRecord, at_end: bool) -> CalibrationPulse | None:
    edge = min(int(round(EDGE_S * record.fs_hz)), record.n_samples)
    offset = record.n_samples - edge if at_end else 0
    excerpt = record.signal[:, offset : offset + edge].astype(np.float64)  # (L, edge)
    shortest, longest = (int(round(s * record.fs_hz)) for s in PLATEAU_S)
    runs = _candidate_runs(excerpt, shortest, longest, _gap_samples(record.fs_hz))
    found = {}
    for name, row, row_runs in zip(record.lead_names, excerpt, runs, strict=True):
        pulse = _lead_pulse(row, record.fs_hz, offset, at_end, row_runs) if row_runs else None
        if pulse is not None:
            found[name] = pulse
    leads = _agreeing(found, record.fs_hz)
    if not leads or len(leads) < max(1, int(np.ceil(record.n_leads / 2))):
        return None
    fs = float(record.fs_hz)
    pulses = [found[name] for name in leads]
    return CalibrationPulse(
        start_s=float(np.median([p.top[0] for p in pulses])) / fs,
        stop_s=float(np.median([p.top[1] for p in pulses])) / fs,
        # the tightest span over leads: where a lead's ECG happens to sit at the device's baseline,
        # its flat stretch runs on past the device segment
        segment_start_s=(max if at_end else min)(p.segment[0] for p in pulses) / fs,
        segment_stop_s=(max if at_end else min)(p.segment[1] for p in pulses) / fs,
        amplitude_mv=float(np.median([abs(p.step_mv) for p in pulses])),
        leads=tuple(leads),
        at_end=at_end,
    )


def find_calibration_pulses(record: ECGRecord) -> tuple[CalibrationPulse, ...]:
    """Find device calibration pulses at the start and at the end of a record.

    A record read from a file carries the search already run on its signal
    (`with_calibration_pulses`); that result is returned as it is. Any other record (built in
    memory, or a copy with another signal) is searched here.

    Args:
        record: the ECG, signal (L, T) in mV.

    Returns:
        0, 1 or 2 pulses (start first); empty for ordinary recordings.

    Example:
        >>> import neurokit2 as nk
        >>> ecg = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=0)
        >>> tail = np.r_[np.zeros(50), np.ones(100), np.zeros(50)]  # 0.1 s, 1 mV 0.2 s, 0.1 s
        >>> rec = ECGRecord(np.r_[ecg, tail][None].astype("float32"), 500.0, ("II",))
        >>> [round(p.start_s, 2) for p in find_calibration_pulses(rec)]
        [10.1]
    """
    if record.calibration is not None and record.calibration.belongs_to(record):
        return record.calibration.pulses
    if record.n_samples < 2 * int(round(PLATEAU_S[0] * record.fs_hz)):
        return ()
    found = (_find_at(record, at_end=False), _find_at(record, at_end=True))
    return tuple(p for p in found if p is not None)


def with_calibration_pulses(record: ECGRecord) -> ECGRecord:
    """The record carrying its calibration-pulse search (run now), so no consumer repeats it.

    Args:
        record: the ECG, signal (L, T) in mV.

    Returns:
        A copy with the same signal object and `calibration` set (see `record.FoundPulses`).
    """
    pulses = find_calibration_pulses(record)
    found = FoundPulses(record.signal, record.fs_hz, record.lead_names, pulses)
    return replace(record, calibration=found)


def ecg_span(record: ECGRecord, pulses: tuple[CalibrationPulse, ...]) -> tuple[int, int]:
    """[start, stop) samples of the record outside the pulses' device segments."""
    start, stop = 0, record.n_samples
    for pulse in pulses:
        if pulse.at_end:
            stop = min(stop, int(round(pulse.segment_start_s * record.fs_hz)))
        else:
            start = max(start, int(round(pulse.segment_stop_s * record.fs_hz)))
    return start, max(stop, start + 1)


def trim_calibration_pulses(record: ECGRecord) -> ECGRecord:
    """The record without its calibration segments (cut off; a start pulse shifts the time).

    For checks that read the signal as a whole (quality flags); the record itself when it has no
    pulse. Signal (L, T') in mV, T' <= T.
    """
    pulses = find_calibration_pulses(record)
    if not pulses:
        return record
    start, stop = ecg_span(record, pulses)
    return replace(record, signal=record.signal[:, start:stop])


def blank_calibration_pulses(record: ECGRecord) -> tuple[ECGRecord, str | None]:
    """The record with each calibration segment held at the nearest ECG value, and a note.

    The length and timing stay as they are (windows, markers and explanations keep their times);
    the segment becomes a flat continuation of the ECG beside it, so no filter rings on a step.

    Args:
        record: the ECG, signal (L, T) in mV.

    Returns:
        (record, note): the record itself and None when it has no pulse; otherwise a copy with
        signal (L, T) in mV and a note naming what was held and where.
    """
    pulses = find_calibration_pulses(record)
    if not pulses:
        return record, None
    start, stop = ecg_span(record, pulses)
    signal = record.signal.copy()
    signal[:, :start] = signal[:, start : start + 1]
    signal[:, stop:] = signal[:, stop - 1 : stop]
    where = "; ".join(p.describe() for p in pulses)
    note = f"{where} left out of the model input (held flat at the nearest ECG value)"
    return replace(record, signal=signal), note
