"""Fold-10 zero-shot AUROC with fewer leads: 12, the 6 limb leads, I and II, II alone (issue 13).

A record keeps only the chosen leads and then goes through exactly what a file with only those
leads goes through today: `io.readers.assemble.build_record` (the last step of `load_record`)
derives the missing limb leads when two limb leads are present (Einthoven and Goldberger), and
`rank`'s `preprocess_for_model` sets the leads still absent to zero. So "2 leads (I, II)" gives
the model all six limb leads (four derived) and zero chest leads, and "1 lead (II)" gives it II
and eleven zero rows. Scores come from `serving.split_cosines` (one `rank` call per record with
the plain class names and the weights' served template) and AUROC from `protocols.protocol_b`,
the path behind `mets select`'s numbers. Fold 10 is for reporting only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from mets_core.data.ptbxl import PTBXLRow
from mets_core.errors import ECGInputError
from mets_core.evaluate.protocols import protocol_b
from mets_core.evaluate.serving import split_cosines
from mets_core.io.readers.assemble import build_record
from mets_core.io.readers.raw import RawRecording
from mets_core.leads import LIMB_LEADS, STANDARD_12_LEADS
from mets_core.model.load import LoadedModel
from mets_core.record import ECGRecord

LEAD_SUBSETS: dict[str, tuple[str, ...]] = {
    "12 leads": STANDARD_12_LEADS,
    "6 limb leads": LIMB_LEADS,
    "2 leads (I, II)": ("I", "II"),
    "1 lead (II)": ("II",),
}
LEAD_SUBSET_TASKS: tuple[str, ...] = ("rhythm", "superclass")


def keep_leads(record: ECGRecord, leads: tuple[str, ...]) -> ECGRecord:
    """The record as a file holding only `leads` would be loaded (missing limb leads derived).

    Args:
        record: a loaded record, signal (L, T) in mV.
        leads: standard lead names to keep; those the record lacks are ignored.

    Returns:
        A validated ECGRecord with the kept leads plus any limb leads derived from them.

    Raises:
        ECGInputError: the record has none of `leads`.
    """
    kept = [name for name in leads if name in record.lead_names]
    if not kept:
        raise ECGInputError(
            f"Expected some of the leads {', '.join(leads)}; this record has "
            f"{', '.join(record.lead_names)}."
        )
    raw = RawRecording(
        signal=np.stack([record.lead(name) for name in kept]).astype(np.float64),
        fs_hz=record.fs_hz,
        channel_names=kept,
        units=["mV"] * len(kept),
        source=record.source,
    )
    return build_record(raw)


def what_the_model_gets(leads: tuple[str, ...]) -> str:
    """Plain words for one subset: which leads are recorded, derived and set to zero."""
    derived = (
        [n for n in LIMB_LEADS if n not in leads] if len(set(leads) & set(LIMB_LEADS)) >= 2 else []
    )
    zero = [n for n in STANDARD_12_LEADS if n not in leads and n not in derived]
    parts = [f"recorded {', '.join(leads)}"]
    if derived:
        parts.append(f"derived {', '.join(derived)}")
    if zero:
        parts.append(f"zero {', '.join(zero)}")
    return "; ".join(parts)


def lead_subset_cosines(
    model: LoadedModel,
    root: Path,
    rows: list[PTBXLRow],
    tasks: tuple[str, ...] = LEAD_SUBSET_TASKS,
    full: dict[str, npt.NDArray[np.float32]] | None = None,
    subsets: list[str] | None = None,
) -> dict[str, dict[str, npt.NDArray[np.float32]]]:
    """{subset: {task: (N, C) cosines}} for `subsets` of `LEAD_SUBSETS` (default: all).

    Args:
        full: cosines already computed on the unmodified 12-lead records ({task: (N, C)}), used
            for "12 leads" instead of ranking every record again.
    """
    template = model.config.zero_shot_template
    out = {}
    for name in subsets or list(LEAD_SUBSETS):
        leads = LEAD_SUBSETS[name]
        if name == "12 leads" and full is not None:
            out[name] = {task: full[task] for task in tasks}
            continue
        cosines = split_cosines(
            model, root, rows, [template], tasks, transform=lambda r, k=leads: keep_leads(r, k)
        )
        out[name] = cosines[template]
    return out


def lead_subset_results(
    model: LoadedModel,
    root: Path,
    rows: list[PTBXLRow],
    tasks: tuple[str, ...] = LEAD_SUBSET_TASKS,
    full: dict[str, npt.NDArray[np.float32]] | None = None,
    n_resamples: int = 0,
    seed: int = 0,
    subsets: list[str] | None = None,
) -> dict:
    """Macro AUROC per lead subset and task (protocol B on `rows`), with what the model got.

    Args:
        subsets: names of `LEAD_SUBSETS` to compute (default: all, in that order).

    Returns:
        {subset: {"leads": [...], "model_input": str, task: protocol_b dict}}.
    """
    cosines = lead_subset_cosines(model, root, rows, tasks, full, subsets)
    return {
        name: {
            "leads": list(LEAD_SUBSETS[name]),
            "model_input": what_the_model_gets(LEAD_SUBSETS[name]),
            **{
                task: protocol_b(rows, cosines[name][task], task, n_resamples, seed)
                for task in tasks
            },
        }
        for name in cosines
    }
