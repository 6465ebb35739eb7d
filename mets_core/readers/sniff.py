"""Content sniffing: what a file really is, judged by its first bytes rather than its name."""

from __future__ import annotations

from pathlib import Path

HEAD_BYTES = 8192

# Formats recognised by their signature but not readable yet: (test, description for the user).
_NOT_YET_SUPPORTED: tuple[tuple[str, str], ...] = (
    ("dicom", "a DICOM waveform file"),
    ("scp", "an SCP-ECG file"),
    ("xml", "an XML ECG export (GE MUSE, Philips, HL7 aECG or similar)"),
    ("bdf", "a BioSemi BDF file"),
    ("pdf", "a PDF document (a printed ECG, not the signal)"),
    ("image", "an image (a picture of an ECG, not the signal)"),
)


def read_head(path: Path) -> bytes:
    """Return the first `HEAD_BYTES` bytes of a file."""
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES)


def looks_like_text(head: bytes) -> bool:
    """True when the bytes decode as UTF-8 or Latin-1 text with almost no control characters."""
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a multi-byte character cut at the end is fine
            text = head.decode("latin-1")
        else:
            text = head[: error.start].decode("utf-8")
    control = sum(1 for char in text if ord(char) < 32 and char not in "\t\r\n\f")
    return control <= max(1, len(text) // 100)


def is_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def is_npy(head: bytes) -> bool:
    return head.startswith(b"\x93NUMPY")


def is_edf(head: bytes) -> bool:
    """EDF and EDF+ start with the version field "0" padded by seven spaces."""
    return head.startswith(b"0       ")


def is_matlab(head: bytes) -> bool:
    """MATLAB v5 and v7.3 files start with a text banner; v4 files have no signature."""
    return head.startswith(b"MATLAB")


def _has_signature(kind: str, head: bytes) -> bool:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    tests = {
        "dicom": head[128:132] == b"DICM",
        "scp": head[16:22] == b"SCPECG",
        "xml": stripped.startswith((b"<?xml", b"<")) and looks_like_text(head),
        "bdf": head.startswith(b"\xffBIOSEMI"),
        "pdf": head.startswith(b"%PDF"),
        "image": head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")),
    }
    return tests[kind]


def describe_unsupported(head: bytes) -> str | None:
    """Name a recognised-but-unsupported format ("an SCP-ECG file"), or None."""
    for kind, description in _NOT_YET_SUPPORTED:
        if _has_signature(kind, head):
            return description
    return None
