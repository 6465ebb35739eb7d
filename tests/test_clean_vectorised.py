"""The whole-array cleaner gives the numbers the model was trained with (issue 14 part 5).

Reference: the per-lead `nk.ecg_clean` loop that `clean_ecg` ran before it was vectorised, and,
for "diagnostic", the per-lead `nk.signal_filter` loop + notch it ran before. Real records
(PTB-XL 100 and 500 Hz, MIT-BIH 360 Hz, a GE MUSE XML export) and synthetic ones at awkward rates
(below 100 Hz, where NeuroKit's powerline step changes, and odd rates) must agree within 1e-6 mV.
"""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import pytest
from conftest import SHARED_DATA
from scipy.signal import filtfilt, iirnotch

import mets_core
from mets_core.errors import ECGInputError
from mets_core.signal.clean import NOTCH_Q, clean_ecg, resample_ecg

TOLERANCE_MV = 1e-6
PTBXL = SHARED_DATA / "ptb-xl"
REAL_RECORDS = {
    "ptbxl_100hz": PTBXL / "records100" / "00000" / "00001_lr.hea",
    "ptbxl_500hz": PTBXL / "records500" / "00000" / "00001_hr.hea",
    "mitbih_360hz": SHARED_DATA / "mit-bih" / "100.hea",
    "muse_xml": SHARED_DATA / "formats" / "ge-muse-xml" / "egm_muse-sinus.xml",
}


def nk_loop(signal: np.ndarray, fs_hz: float, powerline_hz: float = 50.0) -> np.ndarray:
    """Today's path before vectorising: nk.ecg_clean on each float32 lead."""
    leads = np.atleast_2d(np.asarray(signal, dtype=np.float32))
    cleaned = [
        nk.ecg_clean(
            lead, sampling_rate=int(round(fs_hz)), method="neurokit", powerline=powerline_hz
        )
        for lead in leads
    ]
    return np.stack(cleaned).astype(np.float32).reshape(np.shape(signal))


def diagnostic_loop(signal: np.ndarray, fs_hz: float, powerline_hz: float = 50.0) -> np.ndarray:
    """The "diagnostic" cleaner before vectorising: nk.signal_filter per lead, then the notch."""
    leads = np.atleast_2d(np.asarray(signal, dtype=np.float64))
    rate = int(round(fs_hz))
    out = np.stack(
        [
            nk.signal_filter(lead, sampling_rate=rate, lowcut=0.5, method="butterworth", order=5)
            for lead in leads
        ]
    )
    if powerline_hz < fs_hz / 2.0 and out.shape[-1] > 9:
        b, a = iirnotch(powerline_hz, NOTCH_Q, fs=fs_hz)
        out = filtfilt(b, a, out, axis=-1)
    return out.astype(np.float32).reshape(np.shape(signal))


def synthetic(fs_hz: float, seconds: float = 10.0, leads: int = 3, seed: int = 0) -> np.ndarray:
    """(leads, T) simulated ECG with noise, baseline wander and 50 Hz hum, in mV."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fs_hz))
    t = np.arange(n) / fs_hz
    rows = []
    for lead in range(leads):
        ecg = nk.ecg_simulate(
            duration=seconds, sampling_rate=int(fs_hz), noise=0.05, random_state=seed + lead
        )[:n]
        wander = 0.4 * np.sin(2 * np.pi * 0.2 * t + lead)
        hum = 0.05 * np.sin(2 * np.pi * 50 * t)
        rows.append(ecg + wander + hum + 0.02 * rng.standard_normal(n))
    return np.stack(rows).astype(np.float32)


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


@pytest.mark.parametrize("name", sorted(REAL_RECORDS))
def test_real_records_match_the_neurokit_loop(name):
    path = REAL_RECORDS[name]
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/data)")
    record = mets_core.load_record(path)
    signal = record.signal[:, : int(60 * record.fs_hz)]  # MIT-BIH: the first minute
    for powerline_hz in (50.0, 60.0) if record.fs_hz >= 120 else (50.0,):
        new = clean_ecg(signal, fs_hz=record.fs_hz, powerline_hz=powerline_hz)
        assert _max_diff(new, nk_loop(signal, record.fs_hz, powerline_hz)) < TOLERANCE_MV
    # and the model's own path: resampled to 100 Hz first, then cleaned
    at_100 = resample_ecg(signal, fs_in_hz=record.fs_hz, fs_out_hz=100.0)
    assert _max_diff(clean_ecg(at_100, fs_hz=100.0), nk_loop(at_100, 100.0)) < TOLERANCE_MV
    diagnostic = clean_ecg(signal, fs_hz=record.fs_hz, method="diagnostic")
    assert _max_diff(diagnostic, diagnostic_loop(signal, record.fs_hz)) < TOLERANCE_MV


@pytest.mark.parametrize("fs_hz", [50.0, 99.0, 100.0, 128.0, 257.0, 360.0, 1000.0])
def test_synthetic_rates_match_the_neurokit_loop(fs_hz):
    signal = synthetic(fs_hz)
    new = clean_ecg(signal, fs_hz=fs_hz)
    assert _max_diff(new, nk_loop(signal, fs_hz)) < TOLERANCE_MV
    assert not np.allclose(new, signal, atol=0.05)  # the cleaner did remove the wander
    diagnostic = clean_ecg(signal, fs_hz=fs_hz, method="diagnostic")
    assert _max_diff(diagnostic, diagnostic_loop(signal, fs_hz)) < TOLERANCE_MV


def test_one_lead_and_a_batch_of_records_match_record_by_record():
    batch = np.stack([synthetic(100.0, leads=12, seed=seed) for seed in range(4)])  # (4, 12, T)
    for method in ("neurokit", "diagnostic"):
        together = clean_ecg(batch, fs_hz=100.0, method=method)
        assert together.shape == batch.shape and together.dtype == np.float32
        for index, record in enumerate(batch):
            np.testing.assert_array_equal(
                together[index], clean_ecg(record, fs_hz=100.0, method=method)
            )
    lead = batch[0, 0]
    assert _max_diff(clean_ecg(lead, fs_hz=100.0), nk_loop(lead, 100.0)) < TOLERANCE_MV


def test_short_signals_fail_where_neurokit_fails_and_match_where_it_does_not():
    """Near the zero-phase filters' padding length (a few tens of samples) at 50 and 100 Hz."""
    failures = 0
    for fs_hz in (50.0, 100.0):
        signal = synthetic(fs_hz)
        for n_samples in range(2, 40):
            short = signal[:, :n_samples]
            try:
                expected = nk_loop(short, fs_hz)
            except ValueError:
                failures += 1
                with pytest.raises(ValueError):
                    clean_ecg(short, fs_hz=fs_hz)
                continue
            assert _max_diff(clean_ecg(short, fs_hz=fs_hz), expected) < TOLERANCE_MV
    assert 0 < failures < 2 * 38  # both behaviours were exercised


def test_nan_is_refused_and_other_methods_still_go_through_neurokit():
    signal = synthetic(500.0)
    broken = signal.copy()
    broken[1, 100] = np.nan
    with pytest.raises(ECGInputError):
        clean_ecg(broken, fs_hz=500.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.stack(
            [nk.ecg_clean(lead, sampling_rate=500, method="biosppy") for lead in signal]
        )
    np.testing.assert_allclose(
        clean_ecg(signal, fs_hz=500.0, method="biosppy"), expected, atol=1e-6
    )
    np.testing.assert_array_equal(clean_ecg(signal, fs_hz=500.0, method="none"), signal)


def test_60_hz_mains_at_100_hz_is_a_high_pass_where_neurokit_fails():
    """int(100 / 60) = 1 tap: NeuroKit's moving average is the identity, but filtfilt refuses it."""
    signal = synthetic(100.0)
    with pytest.raises(ValueError):
        nk_loop(signal, 100.0, powerline_hz=60.0)
    at_60 = clean_ecg(signal, fs_hz=100.0, powerline_hz=60.0)
    highpass_only = np.stack(
        [nk.signal_filter(lead, sampling_rate=100, lowcut=0.5, order=5) for lead in signal]
    ).astype(np.float32)
    assert _max_diff(at_60, highpass_only) < TOLERANCE_MV
