"""ECG file readers, one module per format, chosen by content first and file name second.

To add a format: write a module with
`read_<format>(path, fs_hz) -> RawRecording` and add one `Reader` line to `READERS`. Everything
after reading (lead names, units, derived leads, checks) happens once in `assemble.build_record`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mets_core.errors import ECGInputError
from mets_core.io.readers import sniff
from mets_core.io.readers.cardiosoft_reader import is_cardiosoft_xml, read_cardiosoft_xml
from mets_core.io.readers.dicom_reader import read_dicom
from mets_core.io.readers.edf_reader import read_edf
from mets_core.io.readers.hl7_aecg_reader import read_hl7_aecg
from mets_core.io.readers.muse_reader import read_muse_xml
from mets_core.io.readers.numpy_reader import read_npy
from mets_core.io.readers.philips_reader import read_philips_xml
from mets_core.io.readers.raw import RawRecording
from mets_core.io.readers.scp_reader import is_scp_ecg, read_scp_ecg
from mets_core.io.readers.table_reader import read_table
from mets_core.io.readers.wfdb_reader import read_mat, read_wfdb


@dataclass(frozen=True)
class Reader:
    """One supported format.

    Attributes:
        name: what users call the format, e.g. "WFDB".
        extensions: lower-case suffixes it is chosen by when the content has no signature.
        read: `read(path, fs_hz) -> RawRecording`; None for containers that `io` unpacks (zip).
        signature: True when the first bytes identify this format; chosen over the name.
        needs_text: the content must be text (CSV); False: must be binary; None: no check.
    """

    name: str
    extensions: tuple[str, ...]
    read: Callable[[Path, float | None], RawRecording] | None
    signature: Callable[[bytes], bool] | None = None
    needs_text: bool | None = None


READERS: tuple[Reader, ...] = (
    Reader("zip archive", (".zip",), None, sniff.is_zip, needs_text=False),
    Reader("NumPy array", (".npy",), read_npy, sniff.is_npy, needs_text=False),
    Reader("EDF/EDF+", (".edf",), read_edf, sniff.is_edf),
    Reader("DICOM waveform", (".dcm",), read_dicom, sniff.is_dicom, needs_text=False),
    Reader("SCP-ECG", (".scp",), read_scp_ecg, is_scp_ecg, needs_text=False),
    Reader("HL7 aECG XML", (), read_hl7_aecg, sniff.is_hl7_aecg),
    Reader("GE MUSE XML", (), read_muse_xml, sniff.is_muse_xml),
    Reader("Philips XML", (), read_philips_xml, sniff.is_philips_xml),
    Reader("GE CardioSoft XML", (), read_cardiosoft_xml, is_cardiosoft_xml),
    Reader("MATLAB (PhysioNet/CinC)", (".mat",), read_mat, sniff.is_matlab, needs_text=False),
    Reader("WFDB header", (".hea",), read_wfdb, needs_text=True),
    Reader("WFDB signal", (".dat",), read_wfdb, needs_text=False),
    Reader("CSV/TSV/TXT table", (".csv", ".tsv", ".txt"), read_table, needs_text=True),
)
SUPPORTED_FORMATS_TEXT = (
    "WFDB (.hea with its .dat), PhysioNet/CinC .mat with its .hea, CSV/TSV/TXT with a header row "
    "of lead names, NumPy .npy, EDF/EDF+ (.edf), HL7 aECG XML, GE MUSE XML, GE CardioSoft XML, "
    "Philips Sierra/PageWriter XML, DICOM ECG waveform (.dcm), SCP-ECG (.scp), or a .zip holding "
    "one of these"
)


NOT_READABLE = "This file is not an ECG format METS can read"  # starts every refusal by type


def _by_extension(suffix: str) -> Reader | None:
    return next((reader for reader in READERS if suffix in reader.extensions), None)


def _check_content(reader: Reader, head: bytes, name: str) -> None:
    text = sniff.looks_like_text(head)
    if reader.needs_text is True and not text:
        raise ECGInputError(
            f"{NOT_READABLE}: {name} is named like a {reader.name} file but holds binary data, "
            "not text. "
            f"Supported: {SUPPORTED_FORMATS_TEXT}."
        )
    if reader.signature is not None and reader.needs_text is False and text:
        raise ECGInputError(
            f"{NOT_READABLE}: {name} is named like a {reader.name} file but holds plain text. "
            f"Supported: {SUPPORTED_FORMATS_TEXT}."
        )
    if reader.signature is not None and reader.extensions != (".mat",):  # MAT v4 has no banner
        raise ECGInputError(
            f"{NOT_READABLE}: {name} is named like a {reader.name} file but does not start "
            f"like one; it may be damaged or mislabelled. Supported: {SUPPORTED_FORMATS_TEXT}."
        )


def choose_reader(path: Path) -> Reader:
    """Pick the reader for a file: by signature bytes first, then by extension plus a content check.

    Raises:
        ECGInputError: an empty file, a recognised but unsupported format (a PDF, an image,
            BDF, ...), an unknown type, or content that contradicts the name.
    """
    if path.stat().st_size == 0:
        raise ECGInputError(f"{path.name} is empty (0 bytes). Upload the ECG file again.")
    head = sniff.read_head(path)
    by_signature = [r for r in READERS if r.signature is not None and r.signature(head)]
    if by_signature:
        return by_signature[0]
    unsupported = sniff.describe_unsupported(head)
    if unsupported:
        raise ECGInputError(
            f"{NOT_READABLE}: {path.name} looks like {unsupported}. "
            f"Supported: {SUPPORTED_FORMATS_TEXT}."
        )
    reader = _by_extension(path.suffix.lower())
    if reader is None and not path.suffix:
        raise ECGInputError(
            f"{NOT_READABLE}: {path.name} has no file extension and its content matches none "
            f"of the formats it reads; name the file by its format (for example ecg.csv). "
            f"Supported: {SUPPORTED_FORMATS_TEXT}."
        )
    if reader is None:
        raise ECGInputError(
            f"{NOT_READABLE}: {path.name} ends in '{path.suffix}', but its content matches none "
            "of the formats METS reads (it may be damaged, or another kind of file). "
            f"Supported: {SUPPORTED_FORMATS_TEXT}."
        )
    _check_content(reader, head, path.name)
    return reader
