"""Content sniffing: what a file really is, judged by its first bytes rather than its name."""

from __future__ import annotations

import re
from pathlib import Path

HEAD_BYTES = 8192
_XML_ROOT = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_XML_SKIPPED = re.compile(r"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", re.DOTALL)

# Formats recognised by their signature but not readable yet: (test, description for the user).
_NOT_YET_SUPPORTED: tuple[tuple[str, str], ...] = (
    ("xml", "XML"),  # described by its root element in `_describe_xml`
    ("bdf", "a BioSemi BDF file"),
    ("pdf", "a PDF document (a printed ECG, not the signal)"),
    ("image", "an image (a picture of an ECG, not the signal)"),
)


def read_head(path: Path) -> bytes:
    """Return the first `HEAD_BYTES` bytes of a file."""
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES)


# Control characters other than tab, CR, LF and form feed. In UTF-8 and Latin-1 a character
# below 32 is exactly one byte below 32, so they are counted on the bytes (in C, not per char).
_CONTROL_BYTES = bytes(b for b in range(32) if chr(b) not in "\t\r\n\f")


def looks_like_text(head: bytes) -> bool:
    """True when the bytes decode as UTF-8 or Latin-1 text with almost no control characters."""
    if b"\x00" in head:
        return False
    decoded = head
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a multi-byte character cut at the end is fine
            text = head.decode("latin-1")
        else:
            decoded = head[: error.start]
            text = decoded.decode("utf-8")
    control = len(decoded) - len(decoded.translate(None, _CONTROL_BYTES))
    return control <= max(1, len(text) // 100)


def is_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def is_npy(head: bytes) -> bool:
    return head.startswith(b"\x93NUMPY")


def is_dicom(head: bytes) -> bool:
    """DICOM Part 10 files have a 128-byte preamble followed by "DICM"."""
    return head[128:132] == b"DICM"


def is_edf(head: bytes) -> bool:
    """EDF and EDF+ start with the version field "0" padded by seven spaces."""
    return head.startswith(b"0       ")


def is_matlab(head: bytes) -> bool:
    """MATLAB v5 and v7.3 files start with a text banner; v4 files have no signature."""
    return head.startswith(b"MATLAB")


def _decode_xml_head(head: bytes) -> str | None:
    """Decode the start of a possible XML file (UTF-8, Latin-1 or UTF-16 with or without BOM)."""
    if head.startswith((b"\xff\xfe", b"<\x00")):
        encoding = "utf-16-le"
    elif head.startswith((b"\xfe\xff", b"\x00<")):
        encoding = "utf-16-be"
    elif looks_like_text(head):
        encoding = "latin-1"  # enough for tag names; the parser reads the real encoding
    else:
        return None
    text = head[: len(head) - len(head) % 2].decode(encoding, errors="replace")
    return text.lstrip("\ufeff\xef\xbb\xbf \t\r\n")


def xml_root_name(head: bytes) -> str | None:
    """Local name of the root element of an XML file ("RestingECG", "AnnotatedECG"), or None.

    Skips the XML declaration, comments, processing instructions and the DOCTYPE line, and
    drops any namespace prefix. Returns None when the bytes do not start like XML.
    """
    text = _decode_xml_head(head)
    if text is None or not text.startswith("<"):
        return None
    match = _XML_ROOT.match(_XML_SKIPPED.sub("", text).lstrip())
    return match.group(2) if match else None


def is_hl7_aecg(head: bytes) -> bool:
    """HL7 v3 annotated ECG: root element <AnnotatedECG> (namespace urn:hl7-org:v3)."""
    return xml_root_name(head) == "AnnotatedECG"


def is_muse_xml(head: bytes) -> bool:
    """GE MUSE XML: root element <RestingECG> (CardioSoft's <CardiologyXML> is another format)."""
    return xml_root_name(head) == "RestingECG"


def is_philips_xml(head: bytes) -> bool:
    """Philips Sierra ECG / PageWriter XML: root element <restingecgdata> (any encoding)."""
    return xml_root_name(head) == "restingecgdata"


def _describe_xml(head: bytes) -> str:
    root = xml_root_name(head)
    shown = f" (root element <{root}>)" if root else ""
    return f"an XML file that is not a supported ECG export{shown}"


def _has_signature(kind: str, head: bytes) -> bool:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    tests = {
        "xml": xml_root_name(head) is not None
        or (stripped.startswith((b"<?xml", b"<")) and looks_like_text(head)),
        "bdf": head.startswith(b"\xffBIOSEMI"),
        "pdf": head.startswith(b"%PDF"),
        "image": head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")),
    }
    return tests[kind]


def describe_unsupported(head: bytes) -> str | None:
    """Name a recognised-but-unsupported format ("a PDF document ..."), or None."""
    for kind, description in _NOT_YET_SUPPORTED:
        if _has_signature(kind, head):
            return _describe_xml(head) if kind == "xml" else description
    return None
