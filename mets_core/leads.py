"""Lead names: the one lead-order constant and name normalisation (never by position)."""

from __future__ import annotations

import re

STANDARD_12_LEADS: tuple[str, ...] = (
    "I",
    "II",
    "III",
    "aVR",
    "aVL",
    "aVF",
    "V1",
    "V2",
    "V3",
    "V4",
    "V5",
    "V6",
)

LIMB_LEADS: tuple[str, ...] = STANDARD_12_LEADS[:6]
CHEST_LEADS: tuple[str, ...] = STANDARD_12_LEADS[6:]
EXPECTED_LEADS_TEXT = "I, II, III, aVR, aVL, aVF, V1–V6"  # for error messages

# Aliases seen in WFDB (MIT-BIH "MLII"), European exports ("DII") and vendor files, keyed by the
# canonical form of `_canonical_key`. Bare digits ("1", "2") are deliberately absent: a column
# named "1" is usually a channel number, and mapping it to lead I would be matching by position.
_ALIASES: dict[str, str] = {
    "mli": "I",
    "mlii": "II",
    "mliii": "III",
    "ml1": "I",
    "ml2": "II",
    "ml3": "III",
    "di": "I",
    "dii": "II",
    "diii": "III",
    "d1": "I",
    "d2": "II",
    "d3": "III",
}
_BY_LOWER: dict[str, str] = {lead.lower(): lead for lead in STANDARD_12_LEADS}


def _canonical_key(name: str) -> str:
    """'Lead aVR (Goldberger)' -> 'avr', 'ECG II' -> 'ii', 'V1 ' -> 'v1', 'I-REF' -> 'i'."""
    key = str(name).strip().lower()
    key = re.sub(r"\(.*?\)", "", key)  # "(Einthoven)", "(mV)"
    key = re.sub(r"[\s_\-.:/]+", "", key)
    key = re.sub(r"^(ecg|ekg)", "", key)
    key = re.sub(r"^(lead|ableitung)", "", key)
    return re.sub(r"ref$", "", key)  # EDF montages label leads "ECG V1-REF"


def normalize_lead_name(name: str) -> str | None:
    """Map one lead label to its standard name.

    Args:
        name: a lead label as found in a file, e.g. ``"MLII"``, ``"AVR"``, ``"avl"``, ``"V1 "``,
            ``"Lead I (Einthoven)"``, ``"ECG V2"``.

    Returns:
        The standard name from `STANDARD_12_LEADS`, or None when the label is not a standard lead
        (``"ABP"``, ``"RESP"``, a bare channel number such as ``"1"``, or an inverted lead such
        as ``"-aVR"``, for which see `inverted_lead_name`). MIT-BIH's modified chest leads
        (``"V5"``) map to the chest lead of the same name.

    Example:
        >>> normalize_lead_name("MLII"), normalize_lead_name(" avl "), normalize_lead_name("x")
        ('II', 'aVL', None)
    """
    if not isinstance(name, str) or name.strip().startswith("-"):
        return None
    key = _canonical_key(name)
    return _ALIASES.get(key) or _BY_LOWER.get(key)


def inverted_lead_name(name: str) -> str | None:
    """Return the standard lead that a sign-inverted label stands for ("-aVR" -> "aVR"), else None.

    Cabrera-format exports store -aVR; the reader negates it to recover aVR.
    """
    if not isinstance(name, str) or not name.strip().startswith("-"):
        return None
    return normalize_lead_name(name.strip()[1:])
