"""The calibration-pulse search runs once per loaded record and travels with it (issue 14 part 5).

`load_record` carries the search on the record (`ECGRecord.calibration`); trimming, blanking,
preprocessing and the paper view reuse it. A copy with another signal, rate or leads must never
reuse it (a filtered view or a sanity control is searched afresh), and nothing is cached elsewhere.
"""

from __future__ import annotations

import pickle
from dataclasses import replace

import neurokit2 as nk
import numpy as np
import wfdb

from mets_core.config import PreprocessConfig
from mets_core.io.load import load_record
from mets_core.record import ECGRecord, FoundPulses
from mets_core.signal.calibration import (
    PULSE_LABEL,
    CalibrationPulse,
    blank_calibration_pulses,
    find_calibration_pulses,
    trim_calibration_pulses,
    with_calibration_pulses,
)
from mets_core.signal.preprocess import preprocess_for_model

FS_HZ = 500
LEADS = ("I", "II", "V1")


def _leads_with_tail_pulse() -> np.ndarray:
    """(3, T) mV: 10 s of simulated ECG, then 0.1 s at 0, 1 mV for 0.2 s, 0.1 s at 0."""
    ecg = nk.ecg_simulate(duration=10, sampling_rate=FS_HZ, heart_rate=70, random_state=0)
    n = int(0.1 * FS_HZ)
    tail = np.r_[np.zeros(n), np.ones(2 * n), np.zeros(n)]
    return np.stack([np.r_[ecg * s, tail] for s in (0.7, 1.0, 1.3)])


def _write_wfdb(folder, signal: np.ndarray) -> str:
    wfdb.wrsamp(
        "pulse",
        fs=FS_HZ,
        units=["mV"] * len(LEADS),
        sig_name=list(LEADS),
        p_signal=signal.T,
        fmt=["16"] * len(LEADS),
        adc_gain=[1000.0] * len(LEADS),
        baseline=[0] * len(LEADS),
        write_dir=str(folder),
    )
    return str(folder / "pulse.hea")


def test_a_loaded_record_carries_its_search_and_every_consumer_reuses_it(tmp_path):
    record = load_record(_write_wfdb(tmp_path, _leads_with_tail_pulse()))
    assert record.calibration is not None and record.calibration.belongs_to(record)
    (pulse,) = record.calibration.pulses
    assert pulse.at_end and abs(pulse.start_s - 10.1) < 0.02
    assert find_calibration_pulses(record) is record.calibration.pulses  # not searched again
    fresh = replace(record, calibration=None)  # the same signal, searched now
    assert find_calibration_pulses(fresh) == record.calibration.pulses
    np.testing.assert_array_equal(
        blank_calibration_pulses(record)[0].signal, blank_calibration_pulses(fresh)[0].signal
    )
    assert preprocess_for_model(record, PreprocessConfig()).notes == (
        preprocess_for_model(fresh, PreprocessConfig()).notes
    )


def test_consumers_use_the_carried_result_rather_than_searching():
    """A carried result that a search would not give shows that trim, blank and preprocessing
    read the carried one (no counting hook or mock needed)."""
    ecg = nk.ecg_simulate(duration=10, sampling_rate=FS_HZ, heart_rate=70, random_state=1)
    plain = ECGRecord(np.stack([ecg, 0.8 * ecg]).astype(np.float32), float(FS_HZ), ("I", "II"))
    assert find_calibration_pulses(plain) == ()
    said = CalibrationPulse(9.7, 9.9, 9.6, 10.0, 1.0, ("I", "II"), at_end=True)
    carried = replace(
        plain, calibration=FoundPulses(plain.signal, plain.fs_hz, ("I", "II"), (said,))
    )
    assert find_calibration_pulses(carried) == (said,)
    assert trim_calibration_pulses(carried).n_samples == int(9.6 * FS_HZ)
    assert blank_calibration_pulses(carried)[1] is not None
    notes = preprocess_for_model(carried, PreprocessConfig()).notes
    assert any(PULSE_LABEL in note for note in notes)


def test_a_copy_with_another_signal_rate_or_leads_is_searched_afresh(tmp_path):
    record = load_record(_write_wfdb(tmp_path, _leads_with_tail_pulse()))
    blanked, _ = blank_calibration_pulses(record)  # same carried field, a signal with no pulse
    assert blanked.calibration is record.calibration
    assert find_calibration_pulses(blanked) == ()
    same_values = replace(record, signal=record.signal.copy())  # equal values, another array
    assert not record.calibration.belongs_to(same_values)
    assert find_calibration_pulses(same_values) == record.calibration.pulses
    half_rate = replace(record, fs_hz=record.fs_hz / 2)
    assert not record.calibration.belongs_to(half_rate)
    assert find_calibration_pulses(half_rate)[0].start_s != record.calibration.pulses[0].start_s
    renamed = replace(record, lead_names=("II", "I", "V1"))
    assert not record.calibration.belongs_to(renamed)


def test_the_carried_search_survives_pickling(tmp_path):
    """Records cross process boundaries (the Ray engine): the search must stay attached."""
    record = load_record(_write_wfdb(tmp_path, _leads_with_tail_pulse()))
    copy = pickle.loads(pickle.dumps(record))
    assert copy.calibration.belongs_to(copy)
    assert find_calibration_pulses(copy) == record.calibration.pulses


def test_with_calibration_pulses_keeps_the_signal_object():
    ecg = nk.ecg_simulate(duration=10, sampling_rate=FS_HZ, random_state=2)
    record = ECGRecord(ecg[None].astype(np.float32), float(FS_HZ), ("II",))
    carried = with_calibration_pulses(record)
    assert carried.signal is record.signal and carried.calibration.pulses == ()
    assert "calibration" not in repr(carried)
