"""SCP-ECG file structure: record CRC and length, section 0 pointers, section headers, and the
fixed layouts of sections 3 (lead table), 4 (QRS locations) and 5/6 (sample data headers).

Layout (EN 1064 / ISO 11073-91064, all numbers little-endian): bytes 0-1 CRC-CCITT of the rest of
the record, bytes 2-5 record length. Every section starts with a 16-byte header: CRC (2), section
ID (2), section length including the header (4), section version (1), protocol version (1), and 6
reserved bytes that hold "SCPECG" in section 0 from version 2.0 on. Section 0 lists every
section as (ID 2, length 4, 1-based byte index 4). Only sections listed with a non-zero length
are present.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass

from mets_core.errors import ECGInputError

HEADER_BYTES = 16
SECTION0_OFFSET = 6
SCP_ID = b"SCPECG"
_VERSIONS = range(10, 31)  # protocol versions 1.0 .. 3.0, stored as 10 x version
_READ_SECTIONS = range(0, 12)  # sections of the standard; higher IDs are vendor sections
# Section 3 lead codes (EN 1064 table "lead identification") -> lead label.
LEAD_CODES: dict[int, str] = {
    1: "I",
    2: "II",
    3: "V1",
    4: "V2",
    5: "V3",
    6: "V4",
    7: "V5",
    8: "V6",
    9: "V7",
    10: "V2R",
    11: "V3R",
    12: "V4R",
    13: "V5R",
    14: "V6R",
    15: "V7R",
    16: "X",
    17: "Y",
    18: "Z",
    19: "CC5",
    20: "CM5",
    21: "left arm",
    22: "right arm",
    23: "left leg",
    61: "III",
    62: "aVR",
    63: "aVL",
    64: "aVF",
    65: "-aVR",
    66: "V8",
    67: "V9",
    68: "V8R",
    69: "V9R",
    70: "D (Nehb)",
    71: "A (Nehb)",
    72: "J (Nehb)",
}


@dataclass(frozen=True)
class Section:
    """One section: its ID, versions and body (the bytes after its 16-byte header)."""

    section_id: int
    body: bytes
    protocol_version: int


@dataclass(frozen=True)
class LeadTable:
    """Section 3. Sample numbers are 1-based and inclusive, as the standard counts them."""

    codes: list[int]
    starts: list[int]
    ends: list[int]
    reference_beat_subtracted: bool
    simultaneous: bool

    @property
    def names(self) -> list[str]:
        return [LEAD_CODES.get(code, f"lead code {code}") for code in self.codes]


@dataclass(frozen=True)
class QRSLocations:
    """Section 4: reference beat length and fiducial, and one (type, start, fiducial, end) per
    QRS complex (1-based sample numbers of the rhythm; start/end bound the subtraction zone)."""

    reference_length_ms: int
    reference_fiducial: int
    beats: list[tuple[int, int, int, int]]


@dataclass(frozen=True)
class SampleData:
    """Header and per-lead bytes of section 5 (reference beat) or 6 (rhythm).

    Attributes:
        avm_nv: amplitude value multiplier, nanovolts per stored unit.
        interval_us: sample interval in microseconds.
        difference: 0 = values, 1 = first differences, 2 = second differences.
        bimodal: section 6 only: the rhythm was decimated outside the QRS (bimodal compression).
        leads: one bytes object per lead, in section 3 order.
    """

    avm_nv: int
    interval_us: int
    difference: int
    bimodal: bool
    leads: list[bytes]


def not_conformant(name: str, problem: str) -> ECGInputError:
    """The error for a file that breaks the SCP-ECG standard, worded for a clinician."""
    return ECGInputError(
        f"{name} cannot be read as SCP-ECG: {problem}. The device or program that exported it "
        "may write a non-standard variant of SCP-ECG, or the file was damaged on the way. Export "
        "the ECG again as standard SCP-ECG, or as HL7 aECG XML, DICOM or EDF if the device "
        "offers one of those."
    )


def crc_ccitt(data: bytes) -> int:
    """CRC-CCITT (polynomial 0x1021, start 0xFFFF), as SCP-ECG computes it."""
    return binascii.crc_hqx(data, 0xFFFF)


def version_text(protocol_version: int) -> str:
    """10 x version as stored (20) -> "2.0"."""
    return f"{protocol_version // 10}.{protocol_version % 10}"


def _check_record(data: bytes, name: str) -> None:
    if len(data) < SECTION0_OFFSET + HEADER_BYTES:
        raise not_conformant(name, f"the file holds only {len(data)} bytes")
    crc, length = struct.unpack_from("<HI", data, 0)
    if length != len(data):
        raise not_conformant(
            name,
            f"its record-length field states {length:,} bytes but the file holds "
            f"{len(data):,} bytes (cut short, padded, or a vendor-specific layout)",
        )
    if crc_ccitt(data[2:]) != crc:
        raise not_conformant(name, "its checksum (CRC) does not match its contents")


def _section_at(data: bytes, offset: int, length: int, expected_id: int, name: str) -> Section:
    """Check the header of the section a pointer names and return it."""
    what = f"section {expected_id}"
    if offset < 0 or length < HEADER_BYTES or offset + length > len(data):
        raise not_conformant(name, f"the pointer to {what} lies outside the file")
    crc, section_id, stated, _, protocol = struct.unpack_from("<HHIBB", data, offset)
    if section_id != expected_id or stated != length:
        raise not_conformant(name, f"the pointer to {what} does not lead to that section's header")
    if crc_ccitt(data[offset + 2 : offset + length]) != crc:
        raise not_conformant(name, f"the checksum (CRC) of {what} does not match its contents")
    return Section(section_id, data[offset + HEADER_BYTES : offset + length], protocol)


def split_sections(data: bytes, name: str) -> dict[int, Section]:
    """Check the record and return its standard sections (0-11) by ID.

    Raises:
        ECGInputError: wrong length or CRC, no "SCPECG" identifier (version 2.0 on), an unknown
            protocol version, pointers outside the file or to the wrong place, a section CRC.
    """
    _check_record(data, name)
    length = struct.unpack_from("<I", data, SECTION0_OFFSET + 4)[0]
    section0 = _section_at(data, SECTION0_OFFSET, length, 0, name)
    version = section0.protocol_version
    if version not in _VERSIONS:
        raise not_conformant(name, f"it states protocol version {version_text(version)}")
    if version >= 20 and data[16:22] != SCP_ID:
        raise not_conformant(name, 'section 0 lacks the "SCPECG" identifier')
    if len(section0.body) % 10:
        raise not_conformant(name, "its section table (section 0) has a partial entry")
    sections = {0: section0}
    for start in range(0, len(section0.body), 10):
        section_id, size, index = struct.unpack_from("<HII", section0.body, start)
        if size == 0 or section_id == 0:
            continue
        section = _section_at(data, index - 1, size, section_id, name)
        if section_id in _READ_SECTIONS:
            sections[section_id] = section
    return sections


def parse_lead_table(body: bytes, name: str) -> LeadTable:
    """Section 3: lead count, flags, then (start 4, end 4, lead code 1) per lead."""
    if len(body) < 2 or len(body) < 2 + 9 * body[0] or body[0] == 0:
        raise not_conformant(name, "its lead table (section 3) is empty or cut short")
    count, flags = body[0], body[1]
    rows = [struct.unpack_from("<IIB", body, 2 + 9 * lead) for lead in range(count)]
    starts, ends, codes = (list(column) for column in zip(*rows, strict=True))
    if any(start < 1 or end < start for start, end in zip(starts, ends, strict=True)):
        raise not_conformant(name, "its lead table (section 3) has impossible sample numbers")
    return LeadTable(codes, starts, ends, bool(flags & 0x01), bool(flags & 0x04))


def parse_qrs_locations(body: bytes, name: str) -> QRSLocations:
    """Section 4: reference length (ms), fiducial, QRS count, then 14 bytes per QRS."""
    if len(body) < 6:
        raise not_conformant(name, "its QRS locations (section 4) are cut short")
    length_ms, fiducial, count = struct.unpack_from("<HHH", body, 0)
    if len(body) < 6 + 14 * count:
        raise not_conformant(name, "its QRS locations (section 4) are cut short")
    beats = [struct.unpack_from("<HIII", body, 6 + 14 * beat) for beat in range(count)]
    return QRSLocations(length_ms, fiducial, beats)


def parse_sample_data(body: bytes, lead_count: int, section_id: int, name: str) -> SampleData:
    """Section 5 or 6: AVM (nV), interval (us), difference mode, flag, byte counts, data."""
    what = "reference beat (section 5)" if section_id == 5 else "rhythm data (section 6)"
    header = 6 + 2 * lead_count
    if len(body) < header:
        raise not_conformant(name, f"its {what} is cut short")
    avm_nv, interval_us, difference, flag = struct.unpack_from("<HHBB", body, 0)
    sizes = struct.unpack_from(f"<{lead_count}H", body, 6)
    if header + sum(sizes) > len(body):
        raise not_conformant(name, f"its {what} states more bytes than the section holds")
    if avm_nv == 0 or interval_us == 0:
        raise not_conformant(name, f"its {what} states an amplitude or sample interval of 0")
    if difference not in (0, 1, 2):
        raise not_conformant(name, f"its {what} uses an unknown encoding ({difference})")
    ends = [header + sum(sizes[: lead + 1]) for lead in range(lead_count)]
    leads = [body[end - size : end] for end, size in zip(ends, sizes, strict=True)]
    return SampleData(avm_nv, interval_us, difference, section_id == 6 and flag == 1, leads)
