"""What DICOM, HL7 aECG and Philips files state beside their rhythm, on the real samples.

The file's own median beats (never mixed into the rhythm), the device's global measurements
under the shared MUSE keys, interpretation statements, and patient identifiers that must stay in
`patient_fields` only. Samples are read from ../shared/data/formats, never copied here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from mets_core.io.load import load_record
from mets_core.io.readers.device_measurements import MEASUREMENT_KINDS, measurement_text
from mets_core.io.readers.hl7_aecg_reader import read_hl7_aecg
from mets_core.leads import STANDARD_12_LEADS
from mets_core.record import ECGRecord
from mets_core.signal.beats import median_beats

FORMATS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "formats"
needs_formats = pytest.mark.skipif(
    not FORMATS.is_dir(), reason=f"sample format files not found at {FORMATS}"
)

# sample -> rhythm samples per lead (the README's numbers); the record must keep exactly these.
RHYTHM_SAMPLES = {
    "dicom-ecg/arturrod_test_ecg.dcm": 2400,
    "dicom-ecg/ecgprocess_example-DICOM1.dcm": 5000,
    "dicom-ecg/ecgprocess_example-DICOM2.dcm": 5000,
    "dicom-ecg/ecgtoolkit_Example.dcm": 5000,
    "dicom-ecg/pydicom_waveform_ecg.dcm": 10000,
    "hl7-aecg/calecg_hl7aecg-Example2.xml": 10000,
    "hl7-aecg/hl7_example_aECG.xml": 5000,
    "hl7-aecg/sierra_ad4d3d80-d165_1-04_converted.xml": 5500,
    "philips-xml/129DYPRG.XML": 5500,
    "philips-xml/2020-5-18_15-48-11.xml": 5500,
    "philips-xml/3191723_ZZDEMOPTONLY_1-04_orig.xml": 5500,
    "philips-xml/ad4d3d80-d165_1-04_orig.xml": 5500,
    "philips-xml/tbj128_ecg-example_utf16be.xml": 5500,
}
NO_MEDIAN_BEATS = {"dicom-ecg/arturrod_test_ecg.dcm", "philips-xml/129DYPRG.XML"}
WITH_MEDIAN_BEATS = sorted(set(RHYTHM_SAMPLES) - NO_MEDIAN_BEATS)
NO_MEASUREMENTS = {"dicom-ecg/ecgprocess_example-DICOM1.dcm"}  # no WaveformAnnotationSequence
# Physiological bounds per kind of measurement key (rates bpm, intervals ms, axes degrees).
RANGES = {
    "ventricular rate (bpm)": (20, 300),
    "atrial rate (bpm)": (20, 400),
    "RR interval (ms)": (200, 3000),
    "PR interval (ms)": (60, 400),
    "QRS duration (ms)": (40, 250),
    "QT interval (ms)": (200, 700),
    "QTc (ms)": (250, 700),
}
# sample -> patient_fields keys it states (placeholders such as "---" and "xxxxxx" excluded).
PATIENT_KEYS = {
    "dicom-ecg/arturrod_test_ecg.dcm": {"name", "patient ID", "birth date", "sex", "age"},
    "dicom-ecg/ecgprocess_example-DICOM1.dcm": {"name", "patient ID", "sex"},
    "dicom-ecg/ecgprocess_example-DICOM2.dcm": {"name", "patient ID"},
    "dicom-ecg/ecgtoolkit_Example.dcm": {"name", "patient ID", "birth date", "sex"},
    "dicom-ecg/pydicom_waveform_ecg.dcm": {"name", "patient ID", "birth date", "sex", "age"},
    "hl7-aecg/calecg_hl7aecg-Example2.xml": {"name", "patient ID", "birth date"},
    "hl7-aecg/hl7_example_aECG.xml": {"name", "patient ID", "birth date", "sex", "age"},
    "hl7-aecg/sierra_ad4d3d80-d165_1-04_converted.xml": {"patient ID", "birth date", "sex"},
    "philips-xml/129DYPRG.XML": {"patient ID", "sex", "age"},
    "philips-xml/2020-5-18_15-48-11.xml": {"birth date"},
    "philips-xml/3191723_ZZDEMOPTONLY_1-04_orig.xml": {"name", "patient ID", "birth date", "sex"},
    "philips-xml/ad4d3d80-d165_1-04_orig.xml": {"patient ID", "birth date", "sex"},
    "philips-xml/tbj128_ecg-example_utf16be.xml": {"patient ID", "birth date", "sex"},
}
SAME_RECORDING_PHILIPS_HL7 = (
    "philips-xml/ad4d3d80-d165_1-04_orig.xml",
    "hl7-aecg/sierra_ad4d3d80-d165_1-04_converted.xml",
)
SAME_RECORDING_HL7_DICOM = ("hl7-aecg/hl7_example_aECG.xml", "dicom-ecg/ecgtoolkit_Example.dcm")


@cache
def _record(relative: str) -> ECGRecord:
    return load_record(FORMATS / relative)


def _best_correlation(long: np.ndarray, short: np.ndarray) -> float:
    """Largest Pearson r of `short` against every equally long window of `long`."""
    windows = np.lib.stride_tricks.sliding_window_view(long, short.size)  # (lags, n)
    windows = windows - windows.mean(axis=1, keepdims=True)
    centred = short - short.mean()
    norms = np.linalg.norm(windows, axis=1) * np.linalg.norm(centred)
    return float(np.max(windows @ centred / np.maximum(norms, 1e-12)))


def _file_beat_at_record_rate(record: ECGRecord, lead: str) -> np.ndarray:
    beats = record.file_median_beats
    beat = beats.signal[beats.lead_names.index(lead)].astype(np.float64)
    if beats.fs_hz != record.fs_hz:
        beat = resample_poly(beat, int(record.fs_hz), int(beats.fs_hz))
    return beat


@needs_formats
@pytest.mark.parametrize("relative", WITH_MEDIAN_BEATS)
def test_stored_median_beats_come_beside_an_unchanged_rhythm(relative):
    record = _record(relative)
    beats = record.file_median_beats
    assert beats is not None
    assert beats.lead_names == STANDARD_12_LEADS
    assert 0.5 <= beats.duration_s <= 2.5
    assert record.signal.shape == (12, RHYTHM_SAMPLES[relative])  # still the rhythm strip
    assert beats.signal.shape[1] != record.n_samples
    # in mV like the rhythm, and no 16-bit fill left over (it would read as an 80 mV step)
    assert 0.2 < np.ptp(beats.signal[beats.lead_names.index("II")]) < 6.0
    assert np.abs(beats.signal).max() < 10.0
    assert any("median beats" in note for note in record.notes)


@needs_formats
@pytest.mark.parametrize("relative", sorted(NO_MEDIAN_BEATS))
def test_files_without_median_beats_have_none(relative):
    assert _record(relative).file_median_beats is None


@needs_formats
@pytest.mark.parametrize("relative", WITH_MEDIAN_BEATS)
def test_file_median_beat_matches_a_median_computed_from_the_rhythm(relative):
    record = _record(relative)
    computed = median_beats(record, window_s=(-0.25, 0.45))["II"].astype(np.float64)
    file_ii = _file_beat_at_record_rate(record, "II")
    assert _best_correlation(file_ii, computed) > 0.9  # 0.96-0.99 on these samples
    # a wrong lead order would show: lead II's median does not look like the file's aVR
    assert _best_correlation(_file_beat_at_record_rate(record, "aVR"), computed) < 0.5
    # same scale: a per-series scale read wrongly (2.5 vs 5 µV) would halve or double this
    assert 0.85 < np.ptp(file_ii) / np.ptp(computed) < 2.2  # 1.2-1.6 (cleaning lowers peaks)


@needs_formats
def test_philips_and_its_hl7_conversion_store_the_same_median_beats_and_measurements():
    philips, hl7 = (_record(relative) for relative in SAME_RECORDING_PHILIPS_HL7)
    # the HL7 median series has its own 2.5 µV scale (its rhythm has 5 µV); both cut the fill
    assert philips.file_median_beats.signal.shape == hl7.file_median_beats.signal.shape
    difference_mv = np.abs(philips.file_median_beats.signal - hl7.file_median_beats.signal)
    assert difference_mv.max() < 1e-3
    for record in (philips, hl7):  # 2400 ms stated, the last 1200 ms are 32767 padding
        assert any("fill" in note for note in record.notes)
        assert record.file_median_beats.duration_s == pytest.approx(1.2)
    shared = set(MEASUREMENT_KINDS) & set(philips.file_info) & set(hl7.file_info)
    assert len(shared) >= 5
    for key in shared:
        assert float(philips.file_info[key]) == float(hl7.file_info[key]), key
    assert "SINUS BRADYCARDIA" in hl7.file_info["diagnosis statements"]


@needs_formats
def test_hl7_example_and_its_dicom_conversion_agree_on_measurements():
    hl7, dicom = (_record(relative) for relative in SAME_RECORDING_HL7_DICOM)
    for key in ("PR interval (ms)", "QRS duration (ms)", "QT interval (ms)", "QTc (ms)"):
        assert float(hl7.file_info[key]) == float(dicom.file_info[key]), key
    assert hl7.file_info["QRS axis (°)"] == "-61"
    # the DICOM conversion states its axes "in ms": a unit of the wrong kind is left out
    assert "QRS axis (°)" not in dicom.file_info


@needs_formats
@pytest.mark.parametrize("relative", sorted(RHYTHM_SAMPLES))
def test_stated_measurements_are_numbers_in_physiological_ranges(relative):
    info = _record(relative).file_info
    stated = [key for key in MEASUREMENT_KINDS if key in info]
    assert bool(stated) == (relative not in NO_MEASUREMENTS)
    for key in stated:
        value = float(info[key])
        low, high = RANGES.get(key, (-180, 360))
        assert low <= value <= high, (key, value)
        assert len(info[key]) <= 6


@needs_formats
def test_not_measured_zero_is_left_out_and_statements_kept():
    info = _record("dicom-ecg/ecgprocess_example-DICOM2.dcm").file_info
    assert "ATRIAL FIBRILLATION" in info["diagnosis statements"]
    assert "PR interval (ms)" not in info  # the cart writes PR 0 in atrial fibrillation
    assert info["ventricular rate (bpm)"] == "81"  # coded "Ventricular Heart Rate"


@needs_formats
def test_hl7_measurement_stated_in_seconds_is_converted_to_ms(tmp_path):
    text = (FORMATS / "hl7-aecg" / "hl7_example_aECG.xml").read_text(encoding="utf-8")
    assert text.count('value="420" unit="ms"') >= 1
    path = tmp_path / "seconds.xml"
    path.write_text(text.replace('value="420" unit="ms"', 'value="0.42" unit="s"'), "utf-8")
    assert read_hl7_aecg(path, None).file_info["QT interval (ms)"] == "420"


def test_measurement_units_are_converted_or_refused():
    assert measurement_text("QT interval (ms)", "0.42", "s") == "420"
    assert measurement_text("ventricular rate (bpm)", 69, "{H.B.}/min") == "69"
    assert measurement_text("P axis (°)", "44", "ms") is None  # an angle is not a duration
    assert measurement_text("PR interval (ms)", "0", "ms") is None  # "not measured"
    assert measurement_text("T axis (°)", "-168", "deg") == "-168"
    assert measurement_text("QRS axis (°)", "Indeterminate") is None


@needs_formats
@pytest.mark.parametrize("relative", sorted(PATIENT_KEYS))
def test_patient_fields_are_read_and_kept_out_of_everything_else(relative):
    record = _record(relative)
    assert set(record.patient_fields) == PATIENT_KEYS[relative]
    elsewhere = " ".join(
        [*record.notes, *record.file_info, *record.file_info.values(), repr(record)]
    )
    for key, value in record.patient_fields.items():
        if key != "sex":  # "male"/"female" are ordinary words
            assert value not in elsewhere, key
    for masked in ("xxxxxx", "---"):
        assert masked not in record.patient_fields.values()


@needs_formats
def test_raw_dicom_patient_values_never_leave_patient_fields():
    pydicom = pytest.importorskip("pydicom")
    for relative in (name for name in PATIENT_KEYS if name.endswith(".dcm")):
        dataset = pydicom.dcmread(FORMATS / relative, stop_before_pixels=True)
        record = _record(relative)
        elsewhere = " ".join([*record.notes, *record.file_info.values(), repr(record)])
        for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientAge"):
            value = str(dataset.get(keyword, "") or "")
            assert not value or value not in elsewhere, (relative, keyword)


@needs_formats
def test_same_subject_reads_alike_across_formats():
    hl7, dicom = (_record(relative).patient_fields for relative in SAME_RECORDING_HL7_DICOM)
    assert hl7["name"] == dicom["name"] == "Clark"
    assert hl7["patient ID"] == dicom["patient ID"] == "SBJ-123"
    assert hl7["birth date"] == dicom["birth date"] == "1953-05-08"
    assert hl7["sex"] == dicom["sex"] == "male"
    philips, converted = (
        _record(relative).patient_fields for relative in SAME_RECORDING_PHILIPS_HL7
    )
    assert philips["birth date"] == converted["birth date"] == "1976-01-01"
    assert philips["sex"] == converted["sex"] == "female"
