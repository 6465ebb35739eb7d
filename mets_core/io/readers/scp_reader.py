"""SCP-ECG (EN 1064 / ISO 11073-91064), protocol versions 1.x to 3.0: rhythm, reference beat,
device measurements and statements.

The record's CRC and length, every section's pointer, header and CRC are checked first; a file
that breaks the standard is refused with a message saying so rather than guessed at (vendor
variants such as interleaved 10-bit exports are not SCP-ECG). Samples are Huffman-coded with the
default or the file's own tables (section 2) or stored raw, optionally as first or second
differences; where the rhythm was stored minus the reference beat (section 3 flag) the beat of
section 5 is added back at each QRS of section 4. Bimodal (decimated) rhythm data is refused.
Amplitudes are AVM nanovolts per unit, returned in uV; the rate is 10^6 / sample interval (us).
The reference beat goes to `median_beats`; patient identifiers only to `patient_fields`.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError
from mets_core.io.readers import scp_tags
from mets_core.io.readers.raw import RawMedianBeats, RawRecording, ignored_rate_notes
from mets_core.io.readers.scp_huffman import parse_huffman_tables
from mets_core.io.readers.scp_sections import (
    SCP_ID,
    LeadTable,
    SampleData,
    Section,
    not_conformant,
    parse_lead_table,
    parse_qrs_locations,
    parse_sample_data,
    split_sections,
    version_text,
)
from mets_core.io.readers.scp_signal import (
    Tables,
    add_reference_beat,
    decode_lead,
    refuse_bimodal,
)

FORMAT_NAME = "SCP-ECG"
_ENCODINGS = ("values", "first differences", "second differences")
_UINT16_CEILING = 65534  # a lead byte count this large is a writer's 16-bit overflow


def is_scp_ecg(head: bytes) -> bool:
    """True for an SCP-ECG record: "SCPECG" at byte 16 (version 2.0 on), or, as in version 1.x
    and vendor variants without the identifier, a section-0 header at byte 6 whose first
    pointer names section 0 (section ID 0, a length of 16 + 10 x entries, version 1.0-3.0)."""
    if head[16:22] == SCP_ID:
        return True
    if len(head) < 32:
        return False
    section_id, length, section_version, protocol = struct.unpack_from("<HIBB", head, 8)
    first_pointer_id = struct.unpack_from("<H", head, 22)[0]
    return (
        section_id == 0
        and first_pointer_id == 0
        and 26 <= length <= 4096
        and (length - 16) % 10 == 0
        and 10 <= protocol <= 30
        and 10 <= section_version <= 30
    )


def _tables(sections: dict[int, Section], name: str) -> Tables:
    return parse_huffman_tables(sections[2].body, name) if 2 in sections else None


def _lead_table(sections: dict[int, Section], name: str) -> LeadTable:
    if 3 not in sections or 6 not in sections:
        missing = "lead table (section 3)" if 3 not in sections else "rhythm data (section 6)"
        raise ECGInputError(
            f"{name} is SCP-ECG but has no {missing}, so it holds no readable rhythm ECG "
            "(an SCP-ECG file with only a reference beat or only a report cannot be analysed)."
        )
    leads = parse_lead_table(sections[3].body, name)
    if len(set(leads.starts)) > 1 or len(set(leads.ends)) > 1:
        raise ECGInputError(
            f"{name} is SCP-ECG with leads recorded one group after another (not at the same "
            "time), for example 3 leads at a time in 2.5-s blocks. METS needs all leads "
            "recorded together; export a simultaneous 12-lead recording if the device has one."
        )
    return leads


def _rhythm(
    rhythm: SampleData, leads: LeadTable, tables: Tables, name: str
) -> tuple[npt.NDArray[np.int64], list[str]]:
    """(C, T) rhythm in section 6 units, and a note when fewer samples are stored than stated."""
    count = leads.ends[0] - leads.starts[0] + 1
    decoded = [decode_lead(data, count, tables, rhythm.difference, name) for data in rhythm.leads]
    stored = min(lead.size for lead in decoded)
    if stored < 2:
        raise not_conformant(name, "its rhythm data (section 6) holds no samples")
    notes = []
    if stored < count:
        fs_hz = 1e6 / rhythm.interval_us
        overflow = any(len(data) >= _UINT16_CEILING for data in rhythm.leads)
        why = " (its leads' byte counts hit the 16-bit limit of SCP-ECG)" if overflow else ""
        notes.append(
            f"the file's lead table states {count:,} samples per lead ({count / fs_hz:.1f} s) "
            f"but only {stored:,} ({stored / fs_hz:.1f} s) are stored; the rest is missing "
            f"from the file{why}"
        )
    return np.stack([lead[:stored] for lead in decoded]), notes


def _reference_beat(
    sections: dict[int, Section], leads: LeadTable, tables: Tables, name: str
) -> tuple[npt.NDArray[np.float64], float] | None:
    """(C, W) reference beat in nV and its rate in Hz, or None when sections 4/5 are absent."""
    if 4 not in sections or 5 not in sections:
        return None
    qrs = parse_qrs_locations(sections[4].body, name)
    beat = parse_sample_data(sections[5].body, len(leads.codes), 5, name)
    count = round(qrs.reference_length_ms * 1000 / beat.interval_us)
    if count < 2:
        return None
    decoded = [decode_lead(data, count, tables, beat.difference, name) for data in beat.leads]
    if any(lead.size != count for lead in decoded):
        raise not_conformant(name, "its reference beat (section 5) holds fewer samples than stated")
    return np.stack(decoded).astype(np.float64) * beat.avm_nv, 1e6 / beat.interval_us


def _restore_rhythm(
    sections: dict[int, Section],
    residual_nv: npt.NDArray[np.float64],
    reference: tuple[npt.NDArray[np.float64], float] | None,
    rate_hz: float,
    name: str,
) -> str:
    """Add the reference beat back in place; returns the note saying so."""
    if reference is None or not np.isclose(reference[1], rate_hz):
        raise not_conformant(
            name,
            "its rhythm was stored minus a reference beat, but the reference beat (sections "
            "4 and 5) is missing or has a different sampling rate",
        )
    qrs = parse_qrs_locations(sections[4].body, name)
    lead_start = parse_lead_table(sections[3].body, name).starts[0]
    added = add_reference_beat(residual_nv, reference[0], qrs, lead_start)
    return f"the reference beat was added back at {added} QRS complexes, as the file requires"


def _file_info(
    sections: dict[int, Section], tags: dict[int, bytes], rhythm: SampleData, tables: Tables
) -> dict[str, str]:
    """Format, version, encoding, device, measurements and statements (no patient data)."""
    info = {
        "format": "SCP-ECG",
        "SCP-ECG protocol version": version_text(sections[0].protocol_version),
        "rhythm encoding": ("Huffman-coded " if tables else "uncompressed ")
        + _ENCODINGS[rhythm.difference],
        **scp_tags.device_info(tags),
    }
    if 7 in sections:
        info.update(scp_tags.global_measurements(sections[7].body))
    text = scp_tags.statements(sections[8].body) if 8 in sections else ""
    if text:
        info["diagnosis statements"] = text
    return info


def read_scp_ecg(path: Path, fs_hz: float | None) -> RawRecording:
    """Read the rhythm (section 6) and reference beat (section 5) of an SCP-ECG file.

    Args:
        path: the `.scp` file.
        fs_hz: ignored except for a note when it disagrees with the file's rate.

    Returns:
        RawRecording with the stored leads (C, T) in uV, the reference beat as `median_beats`,
        device measurements in `file_info` and patient identifiers in `patient_fields`.

    Raises:
        ECGInputError: a non-conformant or damaged file, no rhythm data, leads not recorded
            together, bimodal compression, or an encoding METS cannot read.
    """
    name = path.name
    sections = split_sections(path.read_bytes(), name)
    leads = _lead_table(sections, name)
    rhythm = parse_sample_data(sections[6].body, len(leads.codes), 6, name)
    if rhythm.bimodal:
        raise refuse_bimodal(name)
    tables = _tables(sections, name)
    stored, notes = _rhythm(rhythm, leads, tables, name)
    reference = _reference_beat(sections, leads, tables, name)
    signal_nv = stored.astype(np.float64) * rhythm.avm_nv
    rate_hz = 1e6 / rhythm.interval_us
    if leads.reference_beat_subtracted:
        notes.append(_restore_rhythm(sections, signal_nv, reference, rate_hz, name))
    coding = "Huffman-coded" if tables else "uncompressed"
    notes.insert(
        0,
        f"read as SCP-ECG (version {version_text(sections[0].protocol_version)}, "
        f"{len(leads.codes)} stored leads, {coding})",
    )
    notes += ignored_rate_notes(rate_hz, fs_hz)
    tags = scp_tags.read_tags(sections[1].body) if 1 in sections else {}
    return RawRecording(
        signal=signal_nv / 1000.0,
        fs_hz=rate_hz,
        channel_names=leads.names,
        units=["uV"] * len(leads.codes),
        source=name,
        notes=notes,
        file_info=_file_info(sections, tags, rhythm, tables),
        median_beats=_median_beats(reference, leads),
        patient_fields=scp_tags.patient_fields(tags),
    )


def _median_beats(
    reference: tuple[npt.NDArray[np.float64], float] | None, leads: LeadTable
) -> RawMedianBeats | None:
    if reference is None:
        return None
    return RawMedianBeats(
        signal=reference[0] / 1000.0,
        fs_hz=reference[1],
        channel_names=leads.names,
        units=["uV"] * len(leads.codes),
        description="SCP-ECG reference beat (section 5)",
    )
