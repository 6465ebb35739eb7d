"""Lead names: the one lead-order constant and name normalisation (never match leads by position)."""

from __future__ import annotations

import re

STANDARD_12_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)

# Aliases seen in WFDB, MIT-BIH, CSV exports and vendor files, keyed by a canonical lower-case form.
_ALIASES: dict[str, str] = {
    "mlii": "II", "mli": "I", "mliii": "III", "ml2": "II",
    "lead1": "I", "lead2": "II", "lead3": "III", "leadi": "I", "leadii": "II", "leadiii": "III",
    "1": "I", "2": "II", "3": "III", "d1": "I", "d2": "II", "d3": "III", "di": "I", "dii": "II",
    "diii": "III",
    "leadi(einthoven)": "I", "leadii(einthoven)": "II", "leadiii(einthoven)": "III",
    "leadavr(goldberger)": "aVR", "leadavl(goldberger)": "aVL", "leadavf(goldberger)": "aVF",
    "-avr": "-aVR",
}


def _canonical_key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name).strip().lower()) if name else ""


def normalize_lead_name(name: str) -> str | None:
    """Map one lead label to its standard name.

    Args:
        name: a lead label as found in a file, e.g. ``"MLII"``, ``"AVR"``, ``"avl"``, ``"V1 "``,
            ``"Lead I (Einthoven)"``.

    Returns:
        The standard name from `STANDARD_12_LEADS`, or None when the label is not a standard lead
        (e.g. MIT-BIH ``"V4"`` maps to ``"V4"``, but ``"ABP"`` maps to None).

    Example:
        >>> normalize_lead_name("MLII"), normalize_lead_name(" avl "), normalize_lead_name("x")
        ('II', 'aVL', None)
    """
    key = _canonical_key(name)
    key = re.sub(r"^(lead)(?=(v\d|a?v[rlf]))", "", key)  # "Lead V1 (Wilson)" -> "v1 (wilson)"
    key = re.sub(r"\((einthoven|goldberger|wilson)\)$", "", key) if key.startswith("v") else key
    if key in _ALIASES:
        alias = _ALIASES[key]
        return alias if alias in STANDARD_12_LEADS else None
    for standard in STANDARD_12_LEADS:
        if key == standard.lower():
            return standard
    return None
