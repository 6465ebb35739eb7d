"""Philips Sierra ECG / PageWriter XML (issue 7) on the real MIT-licensed samples.

The samples in ../shared/data/formats/philips-xml cover schema 1.03, 1.04 and 1.04.01, UTF-8,
UTF-16 LE and UTF-16 BE, all XLI-compressed. One of them was also converted to HL7 aECG by
Philips' own tool, which allows a cross-format check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mets_core.errors import ECGInputError
from mets_core.io.load import load_record
from mets_core.leads import STANDARD_12_LEADS

FORMATS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "formats"
PHILIPS = FORMATS / "philips-xml"
needs_formats = pytest.mark.skipif(
    not PHILIPS.is_dir(), reason=f"Philips sample files not found at {PHILIPS}"
)
PHILIPS_FILES = (
    "129DYPRG.XML",  # schema 1.03, UTF-8
    "3191723_ZZDEMOPTONLY_1-04_orig.xml",  # 1.04, UTF-16 LE
    "ad4d3d80-d165_1-04_orig.xml",  # 1.04, UTF-16 LE
    "2020-5-18_15-48-11.xml",  # 1.04.01, UTF-16 LE
    "tbj128_ecg-example_utf16be.xml",  # 1.04, UTF-16 BE
)
MV_PER_DIGIT = 0.005  # every sample states a resolution of 5 uV


def _robust_ptp_mv(row: np.ndarray) -> float:
    return float(np.percentile(row, 99.5) - np.percentile(row, 0.5))


def _lead(record, name: str) -> np.ndarray:
    return record.signal[record.lead_names.index(name)].astype(np.float64)


@needs_formats
@pytest.mark.parametrize("file_name", PHILIPS_FILES)
def test_philips_samples_load_12_stored_leads_in_mv(file_name):
    record = load_record(PHILIPS / file_name)
    assert record.lead_names == STANDARD_12_LEADS
    assert record.fs_hz == 500.0
    assert record.signal.shape == (12, 5500)  # 11 s rhythm
    assert record.derived_leads == ()  # sierraecg reconstructs the stored III, aVR, aVL, aVF
    assert 0.3 < _robust_ptp_mv(_lead(record, "II")) < 6.0
    assert any("Philips XML" in note for note in record.notes)
    digits = record.signal.astype(np.float64) / MV_PER_DIGIT
    assert np.allclose(digits, np.round(digits), atol=1e-2)
    # the reconstructed III and aVF agree with Einthoven's and Goldberger's laws
    einthoven = _lead(record, "III") - (_lead(record, "II") - _lead(record, "I"))
    assert np.median(np.abs(einthoven)) < 0.02
    goldberger = _lead(record, "aVF") - (_lead(record, "II") + _lead(record, "III")) / 2
    assert np.median(np.abs(goldberger)) < 0.02
    assert 30 <= float(record.file_info["ventricular rate (bpm)"]) <= 200


@needs_formats
def test_utf16_le_and_be_copies_of_one_ecg_load_identically():
    little = load_record(PHILIPS / "ad4d3d80-d165_1-04_orig.xml")
    big = load_record(PHILIPS / "tbj128_ecg-example_utf16be.xml")
    assert little.lead_names == big.lead_names
    np.testing.assert_array_equal(little.signal, big.signal)
    assert little.file_info == big.file_info


@needs_formats
def test_philips_and_its_hl7_aecg_conversion_agree_sample_by_sample():
    philips = load_record(PHILIPS / "ad4d3d80-d165_1-04_orig.xml")
    hl7 = load_record(FORMATS / "hl7-aecg" / "sierra_ad4d3d80-d165_1-04_converted.xml")
    assert philips.lead_names == hl7.lead_names and philips.fs_hz == hl7.fs_hz
    assert philips.signal.shape == hl7.signal.shape
    difference_mv = np.abs(philips.signal.astype(np.float64) - hl7.signal)
    # the 2009 converter's output scatters by about one 5 uV digit around the XLI samples;
    # a wrong scale, lag or lead order would differ by tenths of a millivolt
    assert np.mean(difference_mv) < MV_PER_DIGIT
    assert np.max(difference_mv) <= 4 * MV_PER_DIGIT + 1e-6


@needs_formats
def test_philips_keeps_statements_but_never_patient_identifiers():
    record = load_record(PHILIPS / "3191723_ZZDEMOPTONLY_1-04_orig.xml")
    assert "SINUS RHYTHM" in record.file_info["diagnosis statements"]
    everything = " ".join([*record.notes, *record.file_info, *record.file_info.values()])
    assert "ZZDEMOPTONLY" not in everything and "3191723" not in everything


@needs_formats
def test_philips_is_detected_by_content_not_by_file_name():
    content = (PHILIPS / "tbj128_ecg-example_utf16be.xml").read_bytes()
    assert load_record(content, name="ecg.csv").signal.shape == (12, 5500)


@needs_formats
@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("<documentversion>1.03<", "<documentversion>9.99<", "unsupported kind"),
        ('durationperchannel="11000"', 'durationperchannel="99000"', "expected 49500"),
        ("<signalresolution>5<", "<signalresolution>none<", "no amplitude resolution"),
    ],
)
def test_unsupported_or_damaged_philips_is_refused(tmp_path, old, new, message):
    content = (PHILIPS / "129DYPRG.XML").read_bytes().decode("utf-8")
    assert old in content
    edited = tmp_path / "edited.xml"
    edited.write_text(content.replace(old, new), encoding="utf-8")
    with pytest.raises(ECGInputError, match=message):
        load_record(edited)
