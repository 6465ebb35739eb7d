"""Intervals, R-peaks, median beats and calipers: physiological ranges, never a crash."""

from __future__ import annotations

import math

import neurokit2 as nk
import numpy as np
import pytest

from mets_core.io.examples import load_example
from mets_core.leads import STANDARD_12_LEADS
from mets_core.record import ECGRecord
from mets_core.signal.calipers import CaliperPoint, add_point, read_calipers, snap_to_sample
from mets_core.signal.measurements import (
    consensus_r_peaks,
    find_r_peaks,
    measure_intervals,
    median_beats,
)


def _sim_record(fs_hz: int, heart_rate: int = 70) -> ECGRecord:
    sim = nk.ecg_simulate(duration=10, sampling_rate=fs_hz, heart_rate=heart_rate, random_state=0)
    return ECGRecord(sim[None].astype("float32"), float(fs_hz), ("II",))


@pytest.mark.parametrize("fs_hz", [100, 500])
def test_simulated_ecg_gives_known_rate_and_physiological_intervals(fs_hz):
    result = measure_intervals(_sim_record(fs_hz))
    assert abs(result.get("Heart rate").value - 70) <= 5
    assert 60000 / 75 <= result.get("RR").value <= 60000 / 65
    assert 100 <= result.get("PR").value <= 250
    assert 60 <= result.get("QRS").value <= 140
    assert 300 <= result.get("QT").value <= 480
    bazett, fridericia = result.get("QTc (Bazett)").value, result.get("QTc (Fridericia)").value
    assert bazett > fridericia > result.get("QT").value  # RR < 1 s: both corrections lengthen QT
    for item in result.values:
        assert item.source.startswith("computed here")
    axis = result.get("QRS axis (frontal)")
    assert axis.value is None and "aVF" in axis.reason  # one lead only: no axis, with a reason


def test_faster_simulation_measures_faster():
    assert measure_intervals(_sim_record(500, 110)).get("Heart rate").value > 100


def test_real_12_lead_records_give_clinical_findings():
    normal = measure_intervals(load_example("ptbxl_normal"))
    lbbb = measure_intervals(load_example("ptbxl_lbbb"))
    afib = measure_intervals(load_example("ptbxl_afib"))
    tachy = measure_intervals(load_example("ptbxl_sinus_tachycardia"))
    assert normal.get("QRS").value < 120 <= lbbb.get("QRS").value  # LBBB: broad QRS
    assert -30 <= normal.get("QRS axis (frontal)").value <= 90
    assert lbbb.get("QRS axis (frontal)").value < 0  # report: left axis
    assert afib.get("PR").value is None and "atrial fibrillation" in afib.get("PR").reason
    assert tachy.get("Heart rate").value > 100


@pytest.mark.parametrize(
    "signal",
    [
        np.zeros(1000, "float32"),
        np.zeros(120, "float32"),
        nk.ecg_simulate(duration=1.5, sampling_rate=100, random_state=0).astype("float32"),
    ],
    ids=["flat", "very short", "1.5 s"],
)
def test_hopeless_signals_return_reasons_not_exceptions(signal):
    result = measure_intervals(ECGRecord(signal[None], 100.0, ("II",)))
    assert all(item.value is None and item.reason for item in result.values)
    assert result.as_rows()[0]["value"].startswith("—")


def test_absent_lead_falls_back_with_a_note():
    record = load_example("mitbih_pvc")
    result = measure_intervals(record, lead="aVF")
    assert result.lead == "II" and "aVF is absent" in result.notes[0]


def test_r_peaks_in_seconds_match_the_simulated_rate():
    peaks = find_r_peaks(_sim_record(500), "II")
    assert peaks.ndim == 1 and 10 <= peaks.size <= 12
    assert np.all(np.diff(peaks) > 0.7) and peaks.max() < 10.0


def test_consensus_skips_a_lead_that_sees_t_waves_as_beats():
    record = load_example("ptbxl_normal")
    beats = consensus_r_peaks(record)
    rr_s = np.diff(beats)
    assert np.all(np.abs(rr_s - np.median(rr_s)) < 0.15)  # regular sinus rhythm, no extra beats


def test_median_beats_have_one_window_per_lead():
    record = load_example("ptbxl_anterior_mi")
    medians = median_beats(record, window_s=(-0.25, 0.45))
    assert tuple(medians) == STANDARD_12_LEADS
    assert all(v.shape == (70,) for v in medians.values())  # 0.7 s at 100 Hz
    r_index = 25
    assert medians["II"][r_index] == pytest.approx(np.abs(medians["II"]).max(), rel=0.05)


def test_calipers_read_time_rate_and_amplitude_in_time_order():
    reading = read_calipers(CaliperPoint(1.8, 1.1, "II"), CaliperPoint(1.0, 0.1, "II"))
    assert reading.dt_ms == pytest.approx(800)
    assert reading.rate_bpm == pytest.approx(75)
    assert reading.dv_mv == pytest.approx(1.0)  # later point minus earlier point
    assert "800 ms" in reading.text() and "75 bpm" in reading.text()
    same = read_calipers(CaliperPoint(1.0, 0.0), CaliperPoint(1.0, 0.0))
    assert math.isinf(same.rate_bpm) and "bpm" not in same.text()


def test_caliper_clicks_make_pairs_and_a_third_click_starts_over():
    a, b, c = (CaliperPoint(t, 0.0, "II") for t in (1.0, 2.0, 3.0))
    points = add_point(add_point((), a), b)
    assert points == (a, b)
    assert add_point(points, c) == (c,)
    assert add_point((a,), CaliperPoint(2.0, 0.0, "V1")) == (CaliperPoint(2.0, 0.0, "V1"),)


def test_caliper_points_snap_to_the_recorded_sample():
    signal = np.arange(10, dtype=np.float32) / 10.0  # 0.0 .. 0.9 mV at 100 Hz
    point = snap_to_sample(signal, 100.0, 0.0449, "II")
    assert point == CaliperPoint(0.04, pytest.approx(0.4), "II")
    assert snap_to_sample(signal, 100.0, 5.0).t_s == pytest.approx(0.09)  # clipped to the end
