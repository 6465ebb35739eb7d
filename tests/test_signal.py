"""Preprocessing properties (NeuroKit style): lengths, drift removal, resampling, windows, notes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import simulate_12_lead
from scipy.signal import welch

from mets_core.config import PreprocessConfig
from mets_core.errors import ECGInputError
from mets_core.notes import split_notes
from mets_core.record import ECGRecord
from mets_core.signal.clean import clean_ecg, resample_ecg
from mets_core.signal.preprocess import preprocess_for_model, split_windows


def _low_frequency_power(x: np.ndarray, fs_hz: float) -> float:
    freqs, power = welch(x, fs=fs_hz, nperseg=min(len(x), 4096))
    return float(power[freqs < 0.5].sum())


def test_cleaning_keeps_length_and_removes_drift():
    record = simulate_12_lead(fs_hz=500)
    t = np.arange(record.n_samples) / record.fs_hz
    drifting = record.signal + 1.5 * np.sin(2 * np.pi * 0.2 * t)[None].astype(np.float32)
    cleaned = clean_ecg(drifting, fs_hz=500, powerline_hz=50)
    assert cleaned.shape == drifting.shape and cleaned.dtype == np.float32
    assert _low_frequency_power(cleaned[1], 500) < 0.05 * _low_frequency_power(drifting[1], 500)


def test_cleaning_rejects_nan():
    with pytest.raises(ECGInputError, match="NaN"):
        clean_ecg(np.array([0.0, np.nan, 1.0] * 100, np.float32), fs_hz=100)


@pytest.mark.parametrize("fs_in, fs_out", [(500, 100), (360, 100), (100, 500), (257, 100)])
def test_resample_length(fs_in, fs_out):
    out = resample_ecg(np.zeros((2, fs_in * 10), np.float32), fs_in_hz=fs_in, fs_out_hz=fs_out)
    assert out.shape == (2, fs_out * 10)


def test_windows_cover_long_records_and_pad_short_ones():
    windows, note = split_windows(np.ones((12, 2500), np.float32), window_samples=1000)
    assert windows.shape == (3, 12, 1000) and "3 model windows" in note
    assert windows[-1, 0, -1] == 1.0  # the last window ends at the last sample
    padded, note = split_windows(np.ones((12, 600), np.float32), window_samples=1000)
    assert padded.shape == (1, 12, 1000) and padded[0, 0, 700] == 0.0 and "zero-padded" in note


def test_preprocess_matches_model_contract_and_notes_every_adjustment():
    record = simulate_12_lead(duration_s=25, fs_hz=500)
    two_leads = ECGRecord(record.signal[[1, 10]], 500.0, ("II", "V5"))
    prepared = preprocess_for_model(two_leads, PreprocessConfig())
    assert prepared.windows.shape == (3, 12, 1000) and prepared.windows.dtype == np.float32
    assert prepared.lead_present.sum() == 2
    assert np.all(prepared.windows[:, ~prepared.lead_present] == 0)
    notes = " ".join(prepared.notes)
    assert "500 Hz -> 100 Hz" in notes and "missing leads" in notes and "3 model windows" in notes
    warnings, routine = split_notes(prepared.notes)  # zeroed leads change the reading; the rest not
    assert [n for n in warnings if "missing leads" in n] and not any("Hz ->" in n for n in warnings)
    assert any("500 Hz -> 100 Hz" in n for n in routine)


def test_preprocess_is_deterministic_and_12_lead_at_model_rate_has_no_notes():
    record = simulate_12_lead(fs_hz=100)
    first = preprocess_for_model(record, PreprocessConfig())
    second = preprocess_for_model(record, PreprocessConfig())
    assert np.array_equal(first.windows, second.windows)
    assert first.notes == ()


def test_too_short_recording_is_rejected():
    record = simulate_12_lead(duration_s=10, fs_hz=100)
    short = ECGRecord(record.signal[:, :150], 100.0, record.lead_names)
    with pytest.raises(ECGInputError, match="at least 2"):
        preprocess_for_model(short, PreprocessConfig())


def test_all_flat_rejected_and_one_flat_lead_noted():
    record = simulate_12_lead(fs_hz=100)
    flat = ECGRecord(np.zeros_like(record.signal), 100.0, record.lead_names)
    with pytest.raises(ECGInputError, match="flat"):
        preprocess_for_model(flat, PreprocessConfig())
    one_flat = record.signal.copy()
    one_flat[8] = 0.0
    notes = preprocess_for_model(
        ECGRecord(one_flat, 100.0, record.lead_names), PreprocessConfig()
    ).notes
    assert any("V3 is flat" in note for note in notes)


def test_extreme_amplitudes_are_clipped_with_a_note():
    record = simulate_12_lead(fs_hz=100)
    spiky = record.signal.copy()
    spiky[0, 100] = 50.0
    prepared = preprocess_for_model(ECGRecord(spiky, 100.0, record.lead_names), PreprocessConfig())
    assert np.abs(prepared.windows).max() <= 10.0
    assert any("clipped" in note for note in split_notes(prepared.notes)[0])  # a warning
