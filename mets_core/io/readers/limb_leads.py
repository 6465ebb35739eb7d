"""Derive missing limb leads from any two recorded ones (Einthoven's and Goldberger's equations).

All six limb leads are linear in (I, II): III = II - I, aVR = -(I + II) / 2, aVL = I - II / 2,
aVF = II - I / 2. Any two distinct limb leads therefore determine I and II (a 2x2 solve), and
from them every other limb lead. Chest leads V1-V6 are independent and never derived.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mets_core.leads import CHEST_LEADS, LIMB_LEADS

# Coefficients of each limb lead on (I, II).
_IN_TERMS_OF_I_II: dict[str, tuple[float, float]] = {
    "I": (1.0, 0.0),
    "II": (0.0, 1.0),
    "III": (-1.0, 1.0),
    "aVR": (-0.5, -0.5),
    "aVL": (1.0, -0.5),
    "aVF": (-0.5, 1.0),
}


def derive_limb_leads(
    leads: dict[str, npt.NDArray[np.float64]],
) -> tuple[dict[str, npt.NDArray[np.float64]], tuple[str, ...], str | None]:
    """Add the missing limb leads when at least two limb leads were recorded.

    Args:
        leads: recorded leads by standard name, each (T,) in mV.

    Returns:
        (leads with the derived ones added, the derived names in standard order, a note saying
        what was derived from what, or None when nothing was derived).
    """
    present = [name for name in LIMB_LEADS if name in leads]
    missing = [name for name in LIMB_LEADS if name not in leads]
    if not missing or len(present) < 2:
        return dict(leads), (), None
    first, second = present[0], present[1]  # distinct limb leads are never collinear
    matrix = np.array([_IN_TERMS_OF_I_II[first], _IN_TERMS_OF_I_II[second]])
    basis = np.linalg.solve(matrix, np.stack([leads[first], leads[second]]))  # (2, T): I, II
    out = dict(leads)
    for name in missing:
        coef_i, coef_ii = _IN_TERMS_OF_I_II[name]
        out[name] = coef_i * basis[0] + coef_ii * basis[1]
    note = (
        f"derived {', '.join(missing)} from {first} and {second} "
        "(Einthoven's and Goldberger's equations)"
    )
    return out, tuple(missing), note


def missing_leads_note(present: list[str]) -> str | None:
    """Say which of the 12 standard leads are absent and why they could not be derived."""
    missing_limb = [name for name in LIMB_LEADS if name not in present]
    missing_chest = [name for name in CHEST_LEADS if name not in present]
    if not missing_limb and not missing_chest:
        return None
    parts = []
    if missing_limb:
        parts.append(
            f"limb leads {', '.join(missing_limb)} are missing and cannot be derived "
            "(deriving limb leads needs at least two of I, II, III, aVR, aVL, aVF)"
        )
    if missing_chest:
        parts.append(
            f"chest leads {', '.join(missing_chest)} are missing (chest leads cannot be derived)"
        )
    return f"this record has {', '.join(present)}; " + "; ".join(parts)
