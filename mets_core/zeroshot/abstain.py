"""Abstain: say "this is not an ECG the model learned from" instead of ranking it as if it were.

Four checks, each a plain fact about the input, in this order (the first that fails is the
reason given):

1. **Signal quality** (`signal.quality.record_usable`): too many flat, clipped or noisy leads.
2. **No heartbeat-like deflections**: the kurtosis of the first difference of the model input
   (median over the present leads). A real ECG's slope is near zero most of the time and steep
   at each QRS complex (fold 9: 6.0-36.6); Gaussian noise and random walks give 3, a sine 1.5.
3. **Limb leads that contradict each other**: in any real ECG, III = II - I, aVR = -(I + II)/2,
   aVL = (I - III)/2 and aVF = (II + III)/2 (Einthoven and Goldberger). The largest residual,
   relative to the limb leads' RMS, is 0.0006-0.008 on fold 9 and 1-3 for unrelated signals
   (noise, shuffled leads, the same wave in every lead). Checked when all six limb leads are
   present.
4. **Unlike every training ECG** (needs the weights' reference bank): the mean cosine of the k
   nearest reference ECGs is below that of every PTB-XL fold-9 ECG.

The thresholds are chosen on PTB-XL fold 9 by `mets bank` and stored in the weights sidecar
(``abstain``); weights without a bank use `DEFAULT_THRESHOLDS` for checks 1-3 (the values chosen
for the shipped weights) and skip check 4, and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from mets_core.record import ECGRecord
from mets_core.signal.preprocess import PreprocessedECG
from mets_core.signal.quality import assess_leads, record_usable
from mets_core.zeroshot.reference import DEFAULT_NEIGHBOURS, Neighbour, reference_similarity

if TYPE_CHECKING:
    from mets_core.zeroshot.sanity import ControlResult  # (sanity imports rank imports this)

LIMB_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF")
EDGE_S = 0.5  # seconds left out at each end of a window by the slope check (filter transients)


@dataclass(frozen=True)
class AbstainThresholds:
    """When to abstain (see the module docstring for each check).

    Attributes:
        max_limb_residual: abstain at or above this relative limb-lead residual.
        min_slope_kurtosis: abstain at or below this kurtosis of the signal's first difference.
        min_reference_similarity: abstain below this mean cosine of the k nearest reference
            ECGs; None when the weights have no reference bank (check skipped).
        k: how many nearest reference ECGs are averaged.
    """

    max_limb_residual: float
    min_slope_kurtosis: float
    min_reference_similarity: float | None = None
    k: int = DEFAULT_NEIGHBOURS

    @classmethod
    def from_sidecar(cls, block: dict, has_bank: bool) -> AbstainThresholds:
        """The thresholds of a sidecar's ``abstain`` block (defaults where it has none)."""
        if not block:
            return DEFAULT_THRESHOLDS
        similarity = block.get("min_reference_similarity") if has_bank else None
        return cls(
            float(block["max_limb_residual"]),
            float(block["min_slope_kurtosis"]),
            None if similarity is None else float(similarity),
            int(block.get("k", DEFAULT_NEIGHBOURS)),
        )


# Chosen on PTB-XL fold 9 by `mets bank` for the shipped weights (weights/mets_resnet18.json,
# "abstain"; tests/test_abstain.py pins the two equal). Used by weights without that block.
DEFAULT_THRESHOLDS = AbstainThresholds(max_limb_residual=0.9999, min_slope_kurtosis=3.1422)


@dataclass(frozen=True)
class InputChecks:
    """What the abstain checks measured for one input.

    Attributes:
        usable: `record_usable`'s verdict; quality_reasons: its reasons (bad or missing leads).
        slope_kurtosis: kurtosis of the model input's first difference, median over present leads.
        limb_residual: largest relative limb-lead identity residual; None without all six.
        reference_similarity: mean cosine of the k nearest reference ECGs; None without a bank.
    """

    usable: bool
    quality_reasons: tuple[str, ...]
    slope_kurtosis: float
    limb_residual: float | None
    reference_similarity: float | None

    def to_dict(self) -> dict:
        """JSON-ready values (lists for tuples)."""
        values = asdict(self)
        values["quality_reasons"] = list(self.quality_reasons)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> InputChecks:
        """Back from `to_dict` (keys that are not fields, e.g. "failed_check", are ignored)."""
        kept = {f.name: values[f.name] for f in fields(cls)}
        return cls(**kept | {"quality_reasons": tuple(values["quality_reasons"])})


def slope_kurtosis(prepared: PreprocessedECG, fs_hz: float, duration_s: float) -> float:
    """Kurtosis (m4 / m2^2) of the first difference of each present lead, median over leads.

    The first and last `EDGE_S` seconds of each model window are left out (the cleaning filter's
    edge transients), and so is the zero padding of a record shorter than one window.

    Args:
        prepared: `preprocess_for_model` output, windows (N, L, T) at the model rate `fs_hz`.
        duration_s: the record's duration (to leave out the padding).

    Returns:
        The median kurtosis; 3 for Gaussian noise, 1.5 for a sine, 6.0-36.6 for PTB-XL fold 9;
        0.0 when no present lead moves.
    """
    windows = prepared.windows[:, prepared.lead_present].astype(np.float64)  # (N, P, T)
    valid = min(windows.shape[-1], int(round(duration_s * fs_hz)))
    edge = int(round(EDGE_S * fs_hz))
    if valid - 2 * edge > 2:
        windows = (
            windows[..., edge : valid - edge] if len(windows) == 1 else windows[..., edge:-edge]
        )
    slope = np.concatenate(list(np.diff(windows, axis=-1)), axis=-1)  # (P, N * (T' - 1))
    slope -= slope.mean(axis=1, keepdims=True)
    m2 = (slope**2).mean(axis=1)
    moving = m2 > 1e-12
    if not moving.any():
        return 0.0
    m4 = (slope[moving] ** 4).mean(axis=1)
    return float(np.median(m4 / m2[moving] ** 2))


def limb_residual(record: ECGRecord) -> float | None:
    """Largest residual of the four limb-lead identities, relative to the limb leads' RMS.

    Args:
        record: the ECG, signal (L, T) in mV.

    Returns:
        max over III - (II - I), aVR + (I + II)/2, aVL - (I - III)/2, aVF - (II + III)/2 of
        RMS(residual) / RMS(the six limb leads), each lead's mean removed first; ~0 for a real
        ECG, 1-2 for unrelated signals. None when any of the six limb leads is absent.
    """
    if not set(LIMB_LEADS) <= set(record.lead_names):
        return None
    lead = {name: record.lead(name).astype(np.float64) for name in LIMB_LEADS}
    lead = {name: x - x.mean() for name, x in lead.items()}
    scale = float(np.sqrt(np.mean([np.mean(x**2) for x in lead.values()])))
    if scale < 1e-9:
        return None
    i, ii, iii = lead["I"], lead["II"], lead["III"]
    residuals = (
        iii - (ii - i),
        lead["aVR"] + (i + ii) / 2,
        lead["aVL"] - (i - iii) / 2,
        lead["aVF"] - (ii + iii) / 2,
    )
    return float(max(np.sqrt(np.mean(r**2)) for r in residuals) / scale)


def measure_input(
    record: ECGRecord,
    prepared: PreprocessedECG,
    neighbours: Sequence[Neighbour] | None,
    fs_hz: float,
) -> InputChecks:
    """Run every abstain measurement on one input.

    Args:
        record: the ECG as loaded. prepared: its model input at the model rate `fs_hz`.
        neighbours: its `AbstainThresholds.k` nearest reference ECGs (`nearest_references`),
            or None without a reference bank (the similarity check is then skipped).
    """
    usable, reasons = record_usable(assess_leads(record))
    similarity = None if neighbours is None else reference_similarity(neighbours)
    slope = slope_kurtosis(prepared, fs_hz, record.duration_s)
    return InputChecks(usable, tuple(reasons), slope, limb_residual(record), similarity)


def failed_check(checks: InputChecks, thresholds: AbstainThresholds) -> str | None:
    """The first failed check ("quality", "slope", "limb", "reference"), or None if none fails."""
    floor = thresholds.min_reference_similarity
    failed = {
        "quality": not checks.usable,
        "slope": checks.slope_kurtosis <= thresholds.min_slope_kurtosis,
        "limb": checks.limb_residual is not None
        and checks.limb_residual >= thresholds.max_limb_residual,
        "reference": checks.reference_similarity is not None
        and floor is not None
        and checks.reference_similarity < floor,
    }
    return next((name for name, fails in failed.items() if fails), None)


_REASONS = {
    "slope": "The tracing has no sharp, heartbeat-like deflections (no QRS complexes): it looks "
    "like noise or a smooth wave, not an ECG.",
    "limb": "The limb leads do not fit together as they must in any real ECG (lead III should "
    "equal lead II minus lead I): the leads may be mislabelled or shuffled, or this is not an ECG.",
    "reference": "This tracing is unlike every ECG the model learned from: its closest training "
    "ECGs are less similar to it than they are to any PTB-XL validation ECG.",
}


def abstain_reason(checks: InputChecks, thresholds: AbstainThresholds) -> str | None:
    """The first failed check in plain words, or None when the model may read this input."""
    name = failed_check(checks, thresholds)
    if name == "quality":
        why = checks.quality_reasons[0]
        if why == "no usable lead":
            why = "none of the leads carries a usable signal: they are flat, clipped or noise"
        return f"The signal checks fail ({why}): there is no ECG here that the model can read."
    return None if name is None else _REASONS[name]


NO_BANK_NOTE = (
    "These weights ship no reference bank: the abstain decision used the signal checks only, "
    "and there are no percentiles or similar reference ECGs."
)


def controls_line(results: Sequence[ControlResult]) -> str:
    """One line for the ranking page: does the top answer survive the flat line and the noise?

    Args:
        results: `zeroshot.sanity.sanity_check` output for the ranking shown.
    """
    no_ecg = {"flat line": "a flat line", "noise only": "pure noise"}
    shown = [r for r in results if r.name in no_ecg]
    survives = [no_ecg[r.name] for r in shown if r.same_top]
    if survives:
        return (
            f"Controls: the top answer is also the top answer for {' and for '.join(survives)}, "
            "so it may be the model's default rather than a reading of this tracing."
        )
    tops = "; ".join(f"{no_ecg[r.name]} gets “{r.top_candidate}”" for r in shown)
    return f"Controls: the top answer does not survive them ({tops}): it depends on this tracing."
