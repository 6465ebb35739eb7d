"""Per-lead quality flags (flat, saturated, noisy, missing, derived) and a go / no-go for ranking.

The app shows these beside the tracing and warns before the model ranks a record that fails them
(a model must not silently rank a flat line or pure noise). A device calibration pulse
(`signal.calibration`) is not ECG: it is cut off before the checks, so its flat 1 mV top is not
read as clipping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mets_core.leads import STANDARD_12_LEADS
from mets_core.record import ECGRecord
from mets_core.signal.calibration import trim_calibration_pulses

FLAT_RANGE_MV = 0.05  # robust peak-to-peak (0.5-99.5 percentile) below this: flat (the one
# definition of a flat lead; a lead of one constant value is `record.constant_leads`)
SATURATION_RUN_S = 0.03  # a run this long pinned at the lead's max or min: clipped
NOISE_FROM_HZ = 35.0  # power above this is mostly muscle / electrode noise, not ECG
NOISE_TOP_HZ = 100.0  # upper edge of the band considered (or Nyquist, if lower)
NOISY_RATIO = 0.15  # share of power above NOISE_FROM_HZ beyond this: noisy
# Measured: the 7 bundled real records, every lead, 0.001-0.046; a simulated 70 bpm ECG with
# white noise of SD 0.2 / 0.3 mV: 0.11 / 0.16 at 100 Hz, 0.13 / 0.24 at 500 Hz; white noise 0.3-0.6.
UNUSABLE_FLAGS = ("flat", "saturated", "noisy", "missing")
MAX_BAD_LEAD_FRACTION = 0.25  # more than a quarter of recorded leads bad: not usable


@dataclass(frozen=True)
class LeadQuality:
    """Quality of one lead.

    Attributes:
        lead: standard lead name.
        flags: any of "missing", "derived", "flat", "saturated", "noisy"; empty when fine.
        details: one plain sentence per flag with the measured value and the threshold.
    """

    lead: str
    flags: tuple[str, ...]
    details: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when no flag makes the lead unusable ("derived" alone is fine)."""
        return not set(self.flags) & set(UNUSABLE_FLAGS)


def _held_at_extreme_samples(signal: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
    """Per lead of (L, T), the longest run of samples held at the lead's maximum or minimum
    (within 1e-6 + 1e-4 x its range), for all leads at once."""
    top = signal.max(axis=-1, keepdims=True)
    bottom = signal.min(axis=-1, keepdims=True)
    # float64 arithmetic, then float32: exactly what comparing with a Python float does
    tolerance = (1e-6 + 1e-4 * (top - bottom).astype(np.float64)).astype(signal.dtype)
    held = np.concatenate([np.abs(signal - top) <= tolerance, np.abs(signal - bottom) <= tolerance])
    padded = np.zeros((held.shape[0], held.shape[1] + 2), dtype=np.int8)  # (2L, T + 2)
    padded[:, 1:-1] = held
    change = np.diff(padded, axis=-1)
    rows, starts = np.nonzero(change == 1)  # row-major: each row's starts and stops pair up
    longest = np.zeros(held.shape[0], dtype=np.int64)
    np.maximum.at(longest, rows, np.nonzero(change == -1)[1] - starts)
    return np.maximum(longest[: len(signal)], longest[len(signal) :])


def noise_ratios(signal: npt.NDArray[np.float32], fs_hz: float) -> npt.NDArray[np.float64]:
    """Per lead, the share of 0.5 Hz-`top` power above `NOISE_FROM_HZ`, mains (50/60 Hz +- 2 Hz)
    left out: one Welch estimate over all leads at once.

    Args:
        signal: (L, T) in mV. fs_hz: its rate in Hz.

    Returns:
        (L,) ratios in [0, 1]; 0 for a lead with no power in the band.
    """
    leads = np.atleast_2d(signal)
    centred = leads - leads.mean(axis=-1, keepdims=True)
    freqs, power = welch_power(centred, fs_hz, nperseg=min(leads.shape[-1], int(2 * fs_hz)))
    top = min(fs_hz / 2.0, NOISE_TOP_HZ)
    mains = (np.abs(freqs - 50.0) <= 2.0) | (np.abs(freqs - 60.0) <= 2.0)
    usable = (freqs >= 0.5) & (freqs <= top) & ~mains
    total = power[:, usable].sum(axis=-1)
    high = power[:, usable & (freqs >= NOISE_FROM_HZ)].sum(axis=-1)
    return np.divide(high, total, out=np.zeros_like(total), where=total > 0)


def welch_power(
    signal: npt.NDArray[np.floating], fs_hz: float, *, nperseg: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.floating]]:
    """Welch's power spectrum along the last axis, up to a constant factor: what
    `scipy.signal.welch(signal, fs=fs_hz, nperseg=nperseg, axis=-1)` returns divided by
    ``fs_hz * sum(window ** 2)`` (periodic Hann window, half-overlapping segments, each segment's
    mean removed, one-sided, averaged), which no ratio of band powers depends on.

    Written out because scipy's generic implementation spent 3-4 ms of overhead on a 10-s
    12-lead record at 500-1000 Hz, as long as the model's forward on the whole ranking budget;
    `tests/test_quality.py` compares the two.

    Args:
        signal: (..., T) samples. fs_hz: their rate in Hz. nperseg: segment length, <= T.

    Returns:
        Frequencies (nperseg // 2 + 1,) in Hz and power (..., nperseg // 2 + 1) in the input's
        float precision.

    Example:
        >>> import neurokit2 as nk
        >>> ecg = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=0)
        >>> freqs, power = welch_power(ecg.astype("float32"), 500.0, nperseg=1000)
        >>> freqs.shape, power.shape
        ((501,), (501,))
    """
    step = nperseg - nperseg // 2
    segments = np.lib.stride_tricks.sliding_window_view(signal, nperseg, axis=-1)[..., ::step, :]
    segments = segments - segments.mean(axis=-1, keepdims=True)  # (..., S, nperseg)
    window = _hann(nperseg).astype(segments.dtype, copy=False)
    spectrum = np.fft.rfft(segments * window, axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).mean(axis=-2)
    power[..., 1 : None if nperseg % 2 else -1] *= 2  # one-sided: all but DC and Nyquist
    return np.fft.rfftfreq(nperseg, 1.0 / fs_hz), power


def _hann(n: int) -> npt.NDArray[np.float64]:
    """Periodic Hann window of n samples (`scipy.signal.get_window("hann", n)`)."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def _signal_flags(
    fs_hz: float,
    noise_ratio: float | None,
    low_high: npt.NDArray[np.floating],
    held_samples: int,
) -> list[tuple[str, str]]:
    """Flags of one lead from its measures (each computed for all leads at once): `noise_ratio`
    from `noise_ratios` (None: the rate is too low to tell), `low_high` its 0.5th and 99.5th
    percentiles, `held_samples` its longest run at its maximum or minimum."""
    low, high = low_high
    if high - low < FLAT_RANGE_MV:
        return [("flat", f"amplitude range {high - low:.3f} mV < {FLAT_RANGE_MV} mV")]
    flags = []
    run_needed = max(3, int(round(SATURATION_RUN_S * fs_hz)))
    if held_samples >= run_needed:
        run_ms = held_samples * 1000.0 / fs_hz
        flags.append(("saturated", f"held at its extreme for {run_ms:.0f} ms (clipped)"))
    if noise_ratio is not None and noise_ratio > NOISY_RATIO:
        text = f"{noise_ratio:.0%} of its power above {NOISE_FROM_HZ:.0f} Hz (> {NOISY_RATIO:.0%})"
        flags.append(("noisy", text))
    return flags


def assess_leads(
    record: ECGRecord, expected: Sequence[str] = STANDARD_12_LEADS
) -> list[LeadQuality]:
    """Flag every expected lead (and any extra recorded lead) for quality.

    Args:
        record: the ECG, signal (L, T) in mV.
        expected: leads that should be present; absent ones are flagged "missing".

    Returns:
        One `LeadQuality` per lead: expected leads in their order, then any other recorded lead.
        Device calibration pulses at the start or end are left out of every check.

    Example:
        >>> import neurokit2 as nk
        >>> sim = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=0)
        >>> rec = ECGRecord(np.stack([sim, 0 * sim]).astype("float32"), 500.0, ("II", "V1"))
        >>> [q.flags for q in assess_leads(rec, expected=("II", "V1"))]
        [(), ('flat',)]
    """
    names = list(expected) + [n for n in record.lead_names if n not in expected]
    record = trim_calibration_pulses(record)
    noise = None
    if record.fs_hz > 2 * NOISE_FROM_HZ + 10:  # enough bandwidth to see noise above the ECG's
        noise = dict(zip(record.lead_names, noise_ratios(record.signal, record.fs_hz), strict=True))
    percentiles = np.percentile(record.signal, [0.5, 99.5], axis=-1).T  # (L, 2)
    held = _held_at_extreme_samples(record.signal)  # (L,)
    result = []
    for name in names:
        if name not in record.lead_names:
            result.append(LeadQuality(name, ("missing",), ("not in the recording",)))
            continue
        ratio = None if noise is None else float(noise[name])
        row = record.lead_names.index(name)
        found = _signal_flags(record.fs_hz, ratio, percentiles[row], int(held[row]))
        if name in record.derived_leads:
            found.insert(0, ("derived", "computed from other leads, not recorded"))
        result.append(LeadQuality(name, tuple(f for f, _ in found), tuple(d for _, d in found)))
    return result


def record_usable(flags: Sequence[LeadQuality]) -> tuple[bool, list[str]]:
    """Decide whether a record is fit to rank, with reasons a clinician can read.

    Not usable when no recorded lead is usable, or more than `MAX_BAD_LEAD_FRACTION` of the
    recorded leads are flat, saturated or noisy. Missing leads do not fail a record on their own
    (a 2-lead Holter excerpt is still an ECG) but are always listed among the reasons.

    Args:
        flags: the output of `assess_leads`.

    Returns:
        (usable, reasons): reasons name each bad or missing lead and why, usable or not.
    """
    recorded = [q for q in flags if "missing" not in q.flags]
    bad = [q for q in recorded if not q.ok]
    reasons = [f"{q.lead}: {'; '.join(q.details)}" for q in bad]
    missing = [q.lead for q in flags if "missing" in q.flags]
    if missing:
        reasons.append(f"{len(missing)} expected lead(s) missing: {', '.join(missing)}")
    if not recorded or len(bad) == len(recorded):
        return False, ["no usable lead", *reasons]
    if len(bad) / len(recorded) > MAX_BAD_LEAD_FRACTION:
        share = f"{len(bad)} of {len(recorded)} recorded leads are flat, clipped or noisy"
        return False, [share, *reasons]
    return True, reasons
