"""Vendor XML readers (issue 7): HL7 aECG and GE MUSE on the real samples in ../shared/data/formats.

The GPL-3.0 MUSE samples are read from ../shared, never copied into this repository. Synthetic
files written to tmp_path check exact scaling and the refusals (damaged data, no rhythm, XML
entities).
"""

from __future__ import annotations

import base64
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from mets_core.errors import ECGInputError
from mets_core.io.load import load_record
from mets_core.leads import STANDARD_12_LEADS

FORMATS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "formats"
needs_formats = pytest.mark.skipif(
    not FORMATS.is_dir(), reason=f"sample format files not found at {FORMATS}"
)

# file -> (rate in Hz, rhythm samples per lead, scale of the rhythm series in mV per digit)
HL7_FILES = {
    "hl7_example_aECG.xml": (500.0, 5000, 0.0025),
    "sierra_ad4d3d80-d165_1-04_converted.xml": (500.0, 5500, 0.005),
    "calecg_hl7aecg-Example2.xml": (1000.0, 10000, 0.0025),
}
HL7_NAME = "hl7_example_aECG.xml"
MUSE_FILES = ("braveheart_example1.xml", "braveheart_example4.xml", "egm_muse-sinus.xml")


def _robust_ptp_mv(row: np.ndarray) -> float:
    return float(np.percentile(row, 99.5) - np.percentile(row, 0.5))


def _lead(record, name: str) -> np.ndarray:
    return record.signal[record.lead_names.index(name)].astype(np.float64)


@needs_formats
@pytest.mark.parametrize("file_name", sorted(HL7_FILES))
def test_hl7_aecg_samples_load_rhythm_series_in_mv(file_name):
    rate_hz, samples, scale_mv = HL7_FILES[file_name]
    record = load_record(FORMATS / "hl7-aecg" / file_name)
    assert record.lead_names == STANDARD_12_LEADS
    assert record.fs_hz == rate_hz
    assert record.signal.shape == (12, samples)  # rhythm only, not rhythm + median beat
    assert record.derived_leads == ()  # all 12 leads are stored
    assert 0.3 < _robust_ptp_mv(_lead(record, "II")) < 6.0
    assert any("HL7 aECG" in note for note in record.notes)
    assert record.file_info["format"] == "HL7 aECG XML"
    # every value lies on the rhythm series' own digit grid (5 uV for the converted file)
    digits = record.signal.astype(np.float64) / scale_mv
    assert np.allclose(digits, np.round(digits), atol=1e-2)
    # the stored III agrees with Einthoven's law on the stored I and II
    einthoven = _lead(record, "III") - (_lead(record, "II") - _lead(record, "I"))
    assert np.median(np.abs(einthoven)) < 0.01


@needs_formats
def test_hl7_aecg_scale_is_read_per_series_not_from_the_median_beat():
    record = load_record(FORMATS / "hl7-aecg" / "sierra_ad4d3d80-d165_1-04_converted.xml")
    assert any("5 µV" in note for note in record.notes)
    # with the median beat's 2.5 uV scale some values would fall between the 5 uV steps
    assert np.allclose(record.signal * 200.0, np.round(record.signal * 200.0), atol=1e-2)


@needs_formats
@pytest.mark.parametrize("file_name", MUSE_FILES)
def test_muse_samples_load_12_leads_with_derived_limb_leads(file_name):
    record = load_record(FORMATS / "ge-muse-xml" / file_name)
    assert record.lead_names == STANDARD_12_LEADS
    assert record.fs_hz == 500.0
    assert record.signal.shape == (12, 5000)  # 10 s rhythm, not the 600-sample median
    assert record.derived_leads == ("III", "aVR", "aVL", "aVF")
    assert any("derived III, aVR, aVL, aVF from I and II" in note for note in record.notes)
    assert any("GE MUSE XML" in note for note in record.notes)
    assert 0.3 < _robust_ptp_mv(_lead(record, "II")) < 6.0
    steps = _lead(record, "I") / 0.00488  # 4.88 uV per bit
    assert np.allclose(steps, np.round(steps), atol=1e-2)
    assert 30 <= float(record.file_info["ventricular rate (bpm)"]) <= 200


@needs_formats
def test_muse_keeps_statements_but_never_patient_identifiers():
    record = load_record(FORMATS / "ge-muse-xml" / "egm_muse-sinus.xml")
    assert "Normal Sinus rhythm" in record.file_info["diagnosis statements"]
    everything = " ".join([*record.notes, *record.file_info, *record.file_info.values()])
    for identifier in ("081486213", "DOE", "JOHN", "07-08-1979"):
        assert identifier not in everything


@needs_formats
def test_formats_are_detected_by_content_not_by_file_name():
    content = (FORMATS / "ge-muse-xml" / "braveheart_example1.xml").read_bytes()
    record = load_record(content, name="exported_ecg.txt")
    assert record.signal.shape == (12, 5000)
    content = (FORMATS / "hl7-aecg" / "hl7_example_aECG.xml").read_bytes()
    assert load_record(content, name="ecg.csv").fs_hz == 500.0


def test_unknown_xml_exports_are_refused_by_root_element(tmp_path):
    path = tmp_path / "export.xml"
    path.write_text('<?xml version="1.0"?><VendorECGExport><Lead/></VendorECGExport>')
    with pytest.raises(ECGInputError, match="root element <VendorECGExport>") as caught:
        load_record(path)
    assert "GE MUSE XML" in str(caught.value)  # the message lists what is supported


def _muse_xml(leads: dict[str, np.ndarray], *, crc_offset: int = 0, kind: str = "Rhythm") -> bytes:
    blocks = []
    for name, samples in leads.items():
        data = samples.astype("<i2").tobytes()
        blocks.append(
            f"<LeadData><LeadByteCountTotal>{len(data)}</LeadByteCountTotal>"
            "<LeadAmplitudeUnitsPerBit>4.88</LeadAmplitudeUnitsPerBit>"
            f"<LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><LeadID>{name}</LeadID>"
            f"<LeadDataCRC32>{zlib.crc32(data) + crc_offset}</LeadDataCRC32>"
            f"<WaveFormData>{base64.b64encode(data).decode()}</WaveFormData></LeadData>"
        )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<!DOCTYPE RestingECG SYSTEM "restecg.dtd">\n<RestingECG>'
        "<PatientDemographics><PatientID>12345678</PatientID></PatientDemographics>"
        f"<Waveform><WaveformType>{kind}</WaveformType><SampleBase>250</SampleBase>"
        f"<SampleExponent>0</SampleExponent>{''.join(blocks)}</Waveform></RestingECG>"
    ).encode("latin-1")


def _synthetic_leads() -> dict[str, np.ndarray]:
    t = np.arange(2500)
    return {
        name: np.round(200 * np.sin(2 * np.pi * t / (250 + 10 * i))).astype(np.int16)
        for i, name in enumerate(("I", "II", "V1", "V2", "V3", "V4", "V5", "V6"))
    }


def test_muse_scaling_is_exact_on_a_synthetic_file():
    leads = _synthetic_leads()
    record = load_record(_muse_xml(leads), name="muse.xml")
    assert record.fs_hz == 250.0 and record.signal.shape == (12, 2500)
    np.testing.assert_allclose(_lead(record, "II"), leads["II"] * 0.00488, atol=1e-6)
    derived_iii = (leads["II"].astype(float) - leads["I"]) * 0.00488
    np.testing.assert_allclose(_lead(record, "III"), derived_iii, atol=1e-5)
    assert "12345678" not in " ".join([*record.notes, *record.file_info.values()])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"crc_offset": 1}, "CRC32"), ({"kind": "Median"}, "no rhythm waveform")],
)
def test_damaged_or_median_only_muse_is_refused(kwargs, message):
    with pytest.raises(ECGInputError, match=message):
        load_record(_muse_xml(_synthetic_leads(), **kwargs), name="muse.xml")


def test_xml_entity_expansion_is_refused():
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE AnnotatedECG [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        b'<AnnotatedECG xmlns="urn:hl7-org:v3"><title>&b;</title></AnnotatedECG>'
    )
    with pytest.raises(ECGInputError, match="entities"):
        load_record(bomb, name="aecg.xml")


def test_hl7_without_rhythm_series_is_refused():
    content = b'<?xml version="1.0"?><AnnotatedECG xmlns="urn:hl7-org:v3"/>'
    with pytest.raises(ECGInputError, match="holds no waveform series"):
        load_record(content, name="aecg.xml")


# DICOM waveform: file -> (rate in Hz, rhythm samples per lead, sensitivity in mV per digit)
DICOM_FILES = {
    "pydicom_waveform_ecg.dcm": (1000.0, 10000, 0.00125),
    "arturrod_test_ecg.dcm": (240.0, 2400, 0.00122),  # Hemodynamic SOP class, units mV
    "ecgtoolkit_Example.dcm": (500.0, 5000, 0.0025),  # implicit VR little endian
    "ecgprocess_example-DICOM1.dcm": (500.0, 5000, 0.00488),  # GE MUSE export, no group label
    "ecgprocess_example-DICOM2.dcm": (500.0, 5000, 0.005),
}


@needs_formats
@pytest.mark.parametrize("file_name", sorted(DICOM_FILES))
def test_dicom_samples_load_rhythm_group_in_mv(file_name):
    rate_hz, samples, mv_per_digit = DICOM_FILES[file_name]
    record = load_record(FORMATS / "dicom-ecg" / file_name)
    assert record.lead_names == STANDARD_12_LEADS
    assert record.fs_hz == rate_hz
    assert record.signal.shape == (12, samples)  # the rhythm strip, not the median beat
    assert record.derived_leads == ()
    assert 0.3 < _robust_ptp_mv(_lead(record, "II")) < 6.0
    assert any("DICOM" in note for note in record.notes)
    assert record.file_info["format"].startswith("DICOM")
    digits = record.signal.astype(np.float64) / mv_per_digit
    assert np.allclose(digits, np.round(digits), atol=1e-2)
    einthoven = _lead(record, "III") - (_lead(record, "II") - _lead(record, "I"))
    assert np.median(np.abs(einthoven)) < 0.02


@needs_formats
def test_dicom_keeps_statements_but_never_patient_identifiers():
    pydicom = pytest.importorskip("pydicom")
    for file_name in DICOM_FILES:
        path = FORMATS / "dicom-ecg" / file_name
        dataset = pydicom.dcmread(path, stop_before_pixels=True)
        record = load_record(path)
        everything = " ".join([*record.notes, *record.file_info, *record.file_info.values()])
        for keyword in ("PatientName", "PatientID", "PatientBirthDate"):
            value = str(dataset.get(keyword, "") or "")
            assert not value or value not in everything
    record = load_record(FORMATS / "dicom-ecg" / "pydicom_waveform_ecg.dcm")
    assert "RITMO SINUSALE" in record.file_info["diagnosis statements"]
    assert record.file_info["QRS duration (ms)"] == "75"


@needs_formats
def test_dicom_is_detected_by_content_and_found_inside_a_zip(tmp_path):
    content = (FORMATS / "dicom-ecg" / "ecgtoolkit_Example.dcm").read_bytes()
    assert load_record(content, name="exported.txt").signal.shape == (12, 5000)
    for folder, file_name in (("dicom-ecg", "ecgtoolkit_Example.dcm"), ("hl7-aecg", HL7_NAME)):
        archive = tmp_path / f"{file_name}.zip"
        with zipfile.ZipFile(archive, "w") as handle:
            handle.write(FORMATS / folder / file_name, arcname=f"export/{file_name}")
            handle.writestr("export/readme.pdf", b"%PDF-1.4 not an ECG")
        record = load_record(archive)
        assert record.signal.shape == (12, 5000) and record.fs_hz == 500.0


def _edited_dicom(tmp_path: Path, edit) -> Path:
    pydicom = pytest.importorskip("pydicom")
    dataset = pydicom.dcmread(FORMATS / "dicom-ecg" / "pydicom_waveform_ecg.dcm")
    edit(dataset)
    path = tmp_path / "edited.dcm"
    dataset.save_as(path)
    return path


@needs_formats
def test_dicom_sensitivity_correction_factor_is_applied(tmp_path):
    def double_correction(dataset):
        for channel in dataset.WaveformSequence[0].ChannelDefinitionSequence:
            channel.ChannelSensitivityCorrectionFactor = 2

    original = load_record(FORMATS / "dicom-ecg" / "pydicom_waveform_ecg.dcm")
    edited = load_record(_edited_dicom(tmp_path, double_correction))
    np.testing.assert_allclose(edited.signal, 2 * original.signal, rtol=1e-5, atol=1e-6)


def _drop_rhythm(dataset):
    del dataset.WaveformSequence[0]


def _make_ct_image(dataset):
    dataset.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"


@needs_formats
@pytest.mark.parametrize(
    ("edit", "message"),
    [(_drop_rhythm, "only median beats"), (_make_ct_image, "CT Image Storage.*not an ECG")],
)
def test_dicom_without_a_rhythm_strip_or_not_an_ecg_is_refused(tmp_path, edit, message):
    with pytest.raises(ECGInputError, match=message):
        load_record(_edited_dicom(tmp_path, edit))


def test_file_named_dcm_without_the_dicom_preamble_is_refused():
    with pytest.raises(ECGInputError, match="DICOM waveform file but does not start like one"):
        load_record(b"\x00\x01" * 200, name="ecg.dcm")
