"""Device calibration pulses (issue 15 item 2): found, kept out of quality flags and model input.

Real files: the Philips PageWriter / Sierra XML samples end with the device's 1 mV square pulse
(10.7-10.9 s) on every lead; PTB-XL fold 10 records and the MIT-BIH records have none.
"""

from __future__ import annotations

from pathlib import Path

import neurokit2 as nk
import numpy as np
import pytest

from mets_core.config import PreprocessConfig
from mets_core.errors import DataError
from mets_core.io.load import load_record
from mets_core.record import ECGRecord
from mets_core.signal.calibration import (
    PULSE_LABEL,
    blank_calibration_pulses,
    find_calibration_pulses,
    trim_calibration_pulses,
)
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.signal.quality import assess_leads

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PHILIPS = DATA / "formats" / "philips-xml"
PHILIPS_FILES = (
    "129DYPRG.XML",
    "3191723_ZZDEMOPTONLY_1-04_orig.xml",
    "ad4d3d80-d165_1-04_orig.xml",
    "2020-5-18_15-48-11.xml",
    "tbj128_ecg-example_utf16be.xml",
)
CONVERTED_AECG = DATA / "formats" / "hl7-aecg" / "sierra_ad4d3d80-d165_1-04_converted.xml"
PTBXL = DATA / "ptb-xl"
MITBIH = DATA / "mit-bih"
needs_philips = pytest.mark.skipif(not PHILIPS.is_dir(), reason=f"{PHILIPS} not found")


def _saturated(record: ECGRecord) -> list[str]:
    return [q.lead for q in assess_leads(record) if "saturated" in q.flags]


def _with_tail_pulse(ecg: np.ndarray, fs_hz: float, amplitude_mv: float = 1.0) -> np.ndarray:
    """ECG, then 0.1 s at 0 mV, `amplitude_mv` for 0.2 s and 0.1 s at 0 mV (as Philips writes)."""
    n = int(round(0.1 * fs_hz))
    tail = np.r_[np.zeros(n), np.full(2 * n, amplitude_mv), np.zeros(n)]
    return np.r_[ecg, tail]


def _simulated(n_leads: int = 3, fs_hz: float = 500.0, seed: int = 0) -> np.ndarray:
    ecg = nk.ecg_simulate(duration=10, sampling_rate=int(fs_hz), heart_rate=70, random_state=seed)
    scales = np.linspace(0.6, 1.4, n_leads)
    return np.stack([ecg * s for s in scales])


@needs_philips
@pytest.mark.parametrize("name", PHILIPS_FILES)
def test_philips_pulse_found_at_the_end_and_not_flagged_clipped(name):
    record = load_record(PHILIPS / name)
    pulses = find_calibration_pulses(record)
    assert len(pulses) == 1
    pulse = pulses[0]
    assert pulse.at_end
    assert 10.68 <= pulse.start_s <= 10.72 and 10.88 <= pulse.stop_s <= 10.92
    assert abs(pulse.amplitude_mv - 1.0) < 0.05
    assert len(pulse.leads) >= 10
    assert pulse.segment_start_s <= pulse.start_s and pulse.segment_stop_s >= pulse.stop_s
    assert _saturated(record) == []  # today 6-12 leads were flagged "clipped"


@pytest.mark.skipif(not CONVERTED_AECG.is_file(), reason="converted aECG sample not found")
def test_pulse_found_through_quantisation_noise_in_the_converted_aecg():
    pulses = find_calibration_pulses(load_record(CONVERTED_AECG))
    assert len(pulses) == 1 and 10.68 <= pulses[0].start_s <= 10.72


@needs_philips
def test_philips_pulse_is_kept_out_of_the_model_input_with_a_note():
    record = load_record(PHILIPS / "129DYPRG.XML")
    config = PreprocessConfig()
    prepared = preprocess_for_model(record, config)
    notes = [n for n in prepared.notes if PULSE_LABEL in n]
    assert len(notes) == 1 and "10.70-10.90 s" in notes[0] and "model input" in notes[0]
    blanked, _ = blank_calibration_pulses(record)
    pulse = find_calibration_pulses(record)[0]
    start = int(round(pulse.segment_start_s * record.fs_hz))
    segment = blanked.signal[:, start:]
    assert np.all(segment == blanked.signal[:, start - 1 : start])  # held flat, no step
    assert blanked.signal.shape == record.signal.shape  # times unchanged
    np.testing.assert_array_equal(blanked.signal[:, :start], record.signal[:, :start])
    # the model input no longer carries the 1 mV step in its last second
    raw_input = _input_with_pulse(record, config)
    last = slice(-int(config.fs_hz * 0.5), None)
    assert np.abs(prepared.windows[-1][:, last]).max() < np.abs(raw_input[-1][:, last]).max()


def _input_with_pulse(record: ECGRecord, config: PreprocessConfig) -> np.ndarray:
    """Model windows (N, L, T) made the way they were before pulses were held flat."""
    from mets_core.signal.clean import clean_ecg, resample_ecg
    from mets_core.signal.preprocess import arrange_leads, split_windows

    signal = resample_ecg(record.signal, fs_in_hz=record.fs_hz, fs_out_hz=config.fs_hz)
    signal = clean_ecg(
        signal, fs_hz=config.fs_hz, powerline_hz=config.powerline_hz, method=config.clean_method
    )
    rows, _ = arrange_leads(ECGRecord(signal, config.fs_hz, record.lead_names), config.lead_names)
    rows = np.clip(rows, -config.amplitude_clip_mv, config.amplitude_clip_mv)
    return split_windows(rows, window_samples=config.window_samples)[0]


def test_records_without_a_pulse_reach_the_model_unchanged():
    record = ECGRecord(_simulated().astype(np.float32), 500.0, ("I", "II", "V1"))
    assert find_calibration_pulses(record) == ()
    blanked, note = blank_calibration_pulses(record)
    assert blanked is record and note is None
    assert trim_calibration_pulses(record) is record
    assert not any(PULSE_LABEL in n for n in preprocess_for_model(record, PreprocessConfig()).notes)


@pytest.mark.parametrize("fs_hz", [100.0, 250.0, 500.0, 1000.0])
@pytest.mark.parametrize("amplitude_mv", [0.5, 1.0, 2.0])
def test_synthetic_pulse_found_at_either_end(fs_hz, amplitude_mv):
    leads = _simulated(fs_hz=fs_hz)
    tail = np.stack([_with_tail_pulse(row, fs_hz, amplitude_mv) for row in leads])
    record = ECGRecord(tail.astype(np.float32), fs_hz, ("I", "II", "V1"))
    (pulse,) = find_calibration_pulses(record)
    assert pulse.at_end and abs(pulse.start_s - 10.1) < 0.02 and abs(pulse.stop_s - 10.3) < 0.02
    assert abs(pulse.amplitude_mv - amplitude_mv) < 0.05 * amplitude_mv
    head = np.ascontiguousarray(tail[:, ::-1])  # the same pulse at the start
    (first,) = find_calibration_pulses(ECGRecord(head.astype(np.float32), fs_hz, record.lead_names))
    assert not first.at_end and abs(first.start_s - 0.1) < 0.02


def test_synthetic_clipped_ecg_is_still_flagged_clipped():
    ecg = _simulated()
    clipped = np.clip(ecg, None, 0.6 * ecg.max(axis=1, keepdims=True))  # QRS tops cut flat
    record = ECGRecord(clipped.astype(np.float32), 500.0, ("I", "II", "V1"))
    assert find_calibration_pulses(record) == ()
    assert set(_saturated(record)) == {"I", "II", "V1"}
    # leads held at their maximum for the last 0.3 s (a rail: no flat baseline before it)
    railed = ecg.copy()
    railed[:, -150:] = ecg.max(axis=1, keepdims=True)
    record = ECGRecord(railed.astype(np.float32), 500.0, ("I", "II", "V1"))
    assert set(_saturated(record)) == {"I", "II", "V1"}


def test_a_pulse_on_one_lead_of_three_is_not_a_device_pulse():
    leads = _simulated()
    one = np.stack([_with_tail_pulse(leads[0], 500.0), *(np.r_[r, r[-200:]] for r in leads[1:])])
    record = ECGRecord(one.astype(np.float32), 500.0, ("I", "II", "V1"))
    assert find_calibration_pulses(record) == ()


@pytest.mark.skipif(not PTBXL.is_dir(), reason=f"{PTBXL} not found")
def test_no_false_pulses_on_real_ptbxl_fold_10():
    from mets_core.data.ptbxl import read_ptbxl_signal, split_rows
    from mets_core.data.ptbxl_index import load_ptbxl_index

    rows = split_rows(load_ptbxl_index(PTBXL), "test")
    checked = 0
    for row in rows:
        for fs_hz in (100, 500):
            try:
                record = read_ptbxl_signal(PTBXL, row, fs_hz)
            except DataError:
                continue  # the 500 Hz copy holds only ecg_id 1-500
            assert find_calibration_pulses(record) == (), (row, fs_hz)
            checked += 1
    assert checked >= 50


@pytest.mark.skipif(not MITBIH.is_dir(), reason=f"{MITBIH} not found")
@pytest.mark.parametrize("name", ["100", "105", "203", "208"])
def test_no_false_pulses_on_mitbih(name):
    assert find_calibration_pulses(load_record(MITBIH / f"{name}.hea")) == ()


@needs_philips
def test_signal_view_says_what_the_pulse_is():
    from streamlit.testing.v1 import AppTest

    from mets_core.app import session

    page = Path(__file__).resolve().parents[1] / "pages" / "3_Signal_View.py"
    at = AppTest.from_file(str(page), default_timeout=60)
    at.session_state[session.KEY_RECORD] = load_record(PHILIPS / "129DYPRG.XML")
    at.run()
    assert not at.exception, at.exception
    said = " ".join(info.value for info in at.info)
    assert PULSE_LABEL in said and "10.70-10.90 s" in said and "model input" in said
