"""Safe XML parsing shared by the XML ECG readers: `defusedxml`, local tag names, clear errors.

`defusedxml` refuses entity expansion and external entities (billion-laughs, XXE); a plain
DOCTYPE line such as MUSE's ``<!DOCTYPE RestingECG SYSTEM "restecg.dtd">`` is allowed and never
fetched.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from mets_core.errors import ECGInputError


def parse_xml(path: Path, format_name: str) -> Element:
    """Parse an XML file safely and return its root element.

    Args:
        path: the XML file.
        format_name: what the file was detected as, for the error message (e.g. "HL7 aECG").

    Raises:
        ECGInputError: the XML is malformed, truncated, or uses forbidden entity tricks.
    """
    try:
        return SafeElementTree.parse(path).getroot()
    except DefusedXmlException as error:
        raise ECGInputError(
            f"{path.name} looks like {format_name} XML but uses XML entities, which are refused "
            f"for safety ({type(error).__name__}). Export the ECG again from the device."
        ) from error
    except (ParseError, UnicodeDecodeError, ValueError) as error:
        raise ECGInputError(
            f"{path.name} looks like {format_name} XML but is not well-formed XML ({error}); "
            "the file may be truncated or damaged."
        ) from error


def local_name(element: Element) -> str:
    """Tag without its namespace: '{urn:hl7-org:v3}series' -> 'series'."""
    return element.tag.rsplit("}", 1)[-1]


def child(element: Element | None, name: str) -> Element | None:
    """First direct child with local tag `name`, or None."""
    if element is None:
        return None
    return next((sub for sub in element if local_name(sub) == name), None)


def children(element: Element | None, name: str) -> list[Element]:
    """All direct children with local tag `name`."""
    if element is None:
        return []
    return [sub for sub in element if local_name(sub) == name]


def child_text(element: Element | None, name: str) -> str | None:
    """Stripped text of the first direct child named `name`, or None when absent or empty."""
    found = child(element, name)
    text = (found.text or "").strip() if found is not None else ""
    return text or None
