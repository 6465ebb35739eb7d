"""SCP-ECG reader (issue 7) on the real samples in ../shared/data/formats/scp-ecg.

The core proof is cross-format: the ECG Toolkit `Example.scp` holds the same recording as the
HL7 aECG example and its DICOM conversion, and the Contec file the same as its EDF export, so
the decoded leads must agree sample by sample. Copies written to tmp_path (truncated, corrupted,
re-encoded) exercise the checks and the decoding paths the samples do not cover.
"""

from __future__ import annotations

import binascii
import struct
from pathlib import Path

import numpy as np
import pytest

from mets_core.errors import ECGInputError
from mets_core.io.load import load_record
from mets_core.io.readers.assemble import build_record
from mets_core.io.readers.scp_reader import is_scp_ecg, read_scp_ecg
from mets_core.io.readers.scp_tags import statements
from mets_core.leads import STANDARD_12_LEADS

FORMATS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "formats"
SCP = FORMATS / "scp-ecg"
EXAMPLE, CONTEC, HEALFORCE = (
    SCP / "ecgtoolkit_Example.scp",
    SCP / "contec_0000050.ECG.scp",
    SCP / "healforce_62.SCP",
)
needs_formats = pytest.mark.skipif(not SCP.is_dir(), reason=f"SCP samples not found at {SCP}")
# the default table of the standard, written out here so that the tests can encode with it
DEFAULT_CODES = {v: "1" * abs(v) + "0" + ("0" if v > 0 else "1") for v in range(-8, 9) if v}
DEFAULT_CODES[0] = "0"


def _record(path: Path):
    return build_record(read_scp_ecg(path, None))


def _robust_ptp_mv(row: np.ndarray) -> float:
    return float(np.percentile(row, 99.5) - np.percentile(row, 0.5))


def _sections(data: bytes) -> dict[int, bytes]:
    """Section bodies by ID, read with plain struct calls (independent of the reader)."""
    (length,) = struct.unpack_from("<I", data, 10)
    bodies = {}
    for start in range(22, 6 + length, 10):
        section_id, size, index = struct.unpack_from("<HII", data, start)
        if size:
            bodies[section_id] = data[index - 1 + 16 : index - 1 + size]
    return bodies


def _build(bodies: dict[int, bytes]) -> bytes:
    """A conformant SCP-ECG record (version 2.0) from section bodies, with fresh CRCs."""

    def section(section_id: int, body: bytes) -> bytes:
        rest = struct.pack("<HIBB", section_id, 16 + len(body), 20, 20)
        rest += (b"SCPECG" if section_id == 0 else bytes(6)) + body
        return struct.pack("<H", binascii.crc_hqx(rest, 0xFFFF)) + rest

    present = [sid for sid in range(12) if sid in bodies and sid != 0]
    pointers, index = b"", 7 + 16 + 10 * 12
    sizes = {sid: 16 + len(bodies[sid]) for sid in present}
    for sid in range(12):
        size = 16 + 120 if sid == 0 else sizes.get(sid, 0)
        pointers += struct.pack("<HII", sid, size, 7 if sid == 0 else (index if size else 0))
        index += size if sid else 0
    record = section(0, pointers) + b"".join(section(sid, bodies[sid]) for sid in present)
    rest = struct.pack("<I", 6 + len(record)) + record
    return struct.pack("<H", binascii.crc_hqx(rest, 0xFFFF)) + rest


def _encode(values: np.ndarray) -> bytes:
    """Second differences, default Huffman table of the standard (written here, for tests)."""
    x = values.astype(np.int64)
    diffs = np.concatenate([x[:2], x[2:] - 2 * x[1:-1] + x[:-2]])
    bits = "".join(
        DEFAULT_CODES[d]
        if -8 <= d <= 8
        else "1111111110" + format(d & 0xFF, "08b")
        if -128 <= d <= 127
        else "1111111111" + format(d & 0xFFFF, "016b")
        for d in diffs.tolist()
    )
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def _sample_section(avm_nv: int, interval_us: int, leads: list[bytes], flag: int = 0) -> bytes:
    header = struct.pack("<HHBB", avm_nv, interval_us, 2, flag)
    return header + struct.pack(f"<{len(leads)}H", *map(len, leads)) + b"".join(leads)


@needs_formats
def test_example_agrees_sample_by_sample_with_hl7_and_dicom_copies():
    scp = _record(EXAMPLE)
    for other in ("hl7-aecg/hl7_example_aECG.xml", "dicom-ecg/ecgtoolkit_Example.dcm"):
        record = load_record(FORMATS / other)
        assert record.lead_names == scp.lead_names and record.fs_hz == scp.fs_hz
        a, b = scp.signal.astype(np.float64), record.signal.astype(np.float64)
        assert a.shape == b.shape
        # default Huffman with second differences is lossless: the same 2.5 uV digits
        assert np.max(np.abs(a - b)) < 1e-4
        shifted = np.abs(a[:, 1:] - b[:, :-1]).mean()  # a one-sample lag would show
        assert shifted > 100 * np.abs(a - b).mean() + 1e-3
        median, theirs = scp.file_median_beats, record.file_median_beats
        width = median.signal.shape[1]  # 599 samples (a copy may add one fill sample)
        assert median.lead_names == theirs.lead_names and median.fs_hz == theirs.fs_hz
        assert np.max(np.abs(median.signal - theirs.signal[:, :width])) < 1e-4


@needs_formats
def test_example_states_the_same_measurements_as_the_hl7_copy():
    scp = _record(EXAMPLE)
    hl7 = load_record(FORMATS / "hl7-aecg" / "hl7_example_aECG.xml")
    shared = set(scp.file_info) & set(hl7.file_info) - {"format"}
    assert {"PR interval (ms)", "QRS duration (ms)", "QT interval (ms)", "QTc (ms)"} <= shared
    assert all(scp.file_info[key] == hl7.file_info[key] for key in shared)
    assert scp.file_info["format"] == "SCP-ECG" and "ELI250" in scp.file_info["device"]


@needs_formats
def test_example_rate_leads_duration_amplitude_and_reference_beat():
    record = _record(EXAMPLE)
    assert record.fs_hz == 500.0 and record.lead_names == STANDARD_12_LEADS
    assert record.signal.shape == (12, 5000) and record.derived_leads == ()
    assert record.notes[0].startswith("read as SCP-ECG (version 2.0, 12 stored leads")
    lead_ii = record.signal[record.lead_names.index("II")]
    assert 0.3 < _robust_ptp_mv(lead_ii) < 6.0
    beat = record.file_median_beats
    assert beat.description == "SCP-ECG reference beat (section 5)"
    assert beat.signal.shape == (12, 599) and beat.fs_hz == 500.0
    # the beat's largest deflection lies inside the QRS that section 7 states (onset 434 ms)
    onset_ms = 434
    qrs_ms = int(record.file_info["QRS duration (ms)"])
    peak_ms = np.argmax(np.abs(beat.signal[beat.lead_names.index("II")])) * 1000 / beat.fs_hz
    assert onset_ms <= peak_ms <= onset_ms + qrs_ms


@needs_formats
def test_patient_fields_are_read_and_kept_out_of_everything_else():
    raw = read_scp_ecg(EXAMPLE, None)
    record = build_record(raw)
    assert record.patient_fields == {
        "name": "Clark",
        "patient ID": "SBJ-123",
        "birth date": "1953-05-08",
        "sex": "male",
        "acquired": "2002-11-22 09:10:00",  # a date of service is hidden with the identifiers
    }
    shown = " ".join([*record.notes, *record.file_info.values(), repr(record), repr(raw)])
    for value in record.patient_fields.values():
        assert value not in shown


@needs_formats
def test_contec_holds_the_first_32767_samples_of_its_edf_export():
    scp = _record(CONTEC)
    edf = load_record(FORMATS / "edf" / "contec_0000050.ECG.edf")
    assert scp.lead_names == edf.lead_names == STANDARD_12_LEADS and scp.fs_hz == edf.fs_hz == 800
    stored = scp.signal.shape[1]
    assert stored == 32767 < edf.signal.shape[1] == 37855
    assert any("states 37,855 samples" in note and "16-bit" in note for note in scp.notes)
    # same integers in both files; the EDF maps them to mV with its own (6x larger) scale
    slopes = []
    for lead in ("I", "II", "III", "aVR", "aVL", "aVF"):
        a = scp.signal[scp.lead_names.index(lead)].astype(np.float64)
        b = edf.signal[edf.lead_names.index(lead), :stored].astype(np.float64)
        slope, offset = np.polyfit(a, b, 1)
        assert np.max(np.abs(b - (slope * a + offset))) < 1e-4
        slopes.append(slope)
    assert np.ptp(slopes) < 1e-3
    lead_ii = scp.signal[scp.lead_names.index("II")]
    assert 0.3 < _robust_ptp_mv(lead_ii) < 6.0  # the device's 5 uV units give plausible mV


@needs_formats
def test_healforce_vendor_file_is_refused_as_non_standard():
    assert is_scp_ecg(HEALFORCE.read_bytes()[:8192])
    with pytest.raises(ECGInputError, match="non-standard variant of SCP-ECG") as error:
        read_scp_ecg(HEALFORCE, None)
    assert "record-length field" in str(error.value)


@needs_formats
def test_truncated_and_corrupted_copies_are_refused(tmp_path):
    data = EXAMPLE.read_bytes()
    cases = {
        "truncated.scp": (data[:20000], "record-length field"),
        "flipped.scp": (data[:5000] + bytes([data[5000] ^ 0xFF]) + data[5001:], "checksum"),
    }
    # a damaged section whose record CRC was recomputed is caught by the section CRC
    inner = bytearray(data)
    inner[5000] ^= 0xFF
    inner[0:2] = struct.pack("<H", binascii.crc_hqx(bytes(inner[2:]), 0xFFFF))
    cases["section.scp"] = (bytes(inner), "checksum \\(CRC\\) of section 6")
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ECGInputError, match=message):
            read_scp_ecg(tmp_path / name, None)


@needs_formats
def test_pointers_outside_the_file_and_bimodal_data_are_refused(tmp_path):
    bodies = _sections(EXAMPLE.read_bytes())
    rebuilt = bytearray(_build(bodies))
    struct.pack_into("<I", rebuilt, 22 + 10 * 6 + 6, len(rebuilt) + 100)  # section 6 index
    rebuilt[6:8] = struct.pack("<H", binascii.crc_hqx(bytes(rebuilt[8 : 6 + 136]), 0xFFFF))
    rebuilt[0:2] = struct.pack("<H", binascii.crc_hqx(bytes(rebuilt[2:]), 0xFFFF))
    (tmp_path / "pointer.scp").write_bytes(bytes(rebuilt))
    with pytest.raises(ECGInputError, match="pointer to section 6 lies outside"):
        read_scp_ecg(tmp_path / "pointer.scp", None)
    bodies[6] = bodies[6][:5] + b"\x01" + bodies[6][6:]
    (tmp_path / "bimodal.scp").write_bytes(_build(bodies))
    with pytest.raises(ECGInputError, match="bimodal compression"):
        read_scp_ecg(tmp_path / "bimodal.scp", None)


@needs_formats
def test_reference_beat_subtraction_and_custom_tables_are_undone(tmp_path):
    original = read_scp_ecg(EXAMPLE, None)
    bodies = _sections(EXAMPLE.read_bytes())
    units = np.round(original.signal * 1000 / 2500).astype(np.int64)  # AVM 2500 nV
    beat = np.round(original.median_beats.signal * 1000 / 2500).astype(np.int64)  # (12, 599)
    residual, zones, fiducial = units.copy(), [], 300
    for start in range(200, 4600, 900):  # five zones of 150 samples
        zones.append(struct.pack("<HIII", 0, start, start + 40, start + 149))
        at = fiducial - (start + 40) + start - 1
        residual[:, start - 1 : start + 149] -= beat[:, at : at + 150]
    bodies[3] = bodies[3][:1] + bytes([bodies[3][1] | 0x01]) + bodies[3][2:]
    bodies[4] = struct.pack("<HHH", 1198, fiducial, len(zones)) + b"".join(zones)
    bodies[6] = _sample_section(2500, 2000, [_encode(lead) for lead in residual])
    bodies[5] = _sample_section(2500, 2000, [_encode(lead) for lead in beat])
    rows = [(len(c), len(c), 1, value, int(c[::-1], 2)) for value, c in DEFAULT_CODES.items()]
    rows += [(10, 18, 1, 0, int("1111111110"[::-1], 2)), (10, 26, 1, 0, int("1" * 10, 2))]
    bodies[2] = struct.pack("<HH", 1, len(rows)) + b"".join(struct.pack("<BBBhI", *r) for r in rows)
    (tmp_path / "subtracted.scp").write_bytes(_build(bodies))
    restored = read_scp_ecg(tmp_path / "subtracted.scp", None)
    assert np.array_equal(np.round(restored.signal * 1000 / 2500), units)
    assert any("added back at 5 QRS" in note for note in restored.notes)
    assert not np.array_equal(residual, units)


def test_signature_and_section8_statements():
    assert not is_scp_ecg(b"0       " + bytes(300)) and not is_scp_ecg(b"I,II,III\n1,2,3\n")
    assert not is_scp_ecg(bytes(128) + b"DICM" + bytes(100))
    body = bytes([1]) + struct.pack("<HBB", 2024, 1, 2) + bytes([10, 20, 30, 2])
    for number, text in enumerate((b"Sinus rhythm\x00", b"Normal ECG\x00"), start=1):
        body += bytes([number]) + struct.pack("<H", len(text)) + text
    assert statements(body) == "Sinus rhythm; Normal ECG"
