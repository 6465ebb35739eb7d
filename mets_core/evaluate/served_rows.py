"""The rows `mets evaluate` and the ablation table add beside PTB-XL fold 10 (issue 13).

Both through `mets_core.rank` with the weights' served defaults and plain class names, both for
reporting only (nothing is chosen on them): the cinc-external sites (`evaluate.external`) and
fold-10 rhythm and superclass AUROC with 12 / 6 limb / 2 / 1 leads (`evaluate.lead_subsets`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from mets_core.data.ptbxl import PTBXLRow
from mets_core.evaluate.external import evaluate_external
from mets_core.evaluate.lead_subsets import lead_subset_results
from mets_core.model.load import LoadedModel


def served_rows(
    model: LoadedModel,
    ptbxl_root: Path,
    test_rows: list[PTBXLRow],
    external: Path | None,
    n_resamples: int = 0,
    seed: int = 0,
    full: dict[str, npt.NDArray[np.float32]] | None = None,
    subsets: list[str] | None = None,
) -> dict:
    """{"lead_subsets_fold10": ..., "cinc_external": ... (absent when `external` is None)}.

    Args:
        ptbxl_root: the PTB-XL folder `test_rows` come from. test_rows: fold-10 rows.
        external: the cinc-external folder, or None to leave it out.
        n_resamples: bootstrap resamples for the 95 % intervals (0: none).
        full: fold-10 cosines already computed on the 12-lead records ({task: (N, C)}).
        subsets: names of `lead_subsets.LEAD_SUBSETS` to compute (default: all).
    """
    out = {
        "lead_subsets_fold10": lead_subset_results(
            model,
            ptbxl_root,
            test_rows,
            full=full,
            n_resamples=n_resamples,
            seed=seed,
            subsets=subsets,
        )
    }
    if external is not None:
        out["cinc_external"] = evaluate_external(model, external, n_resamples, seed)
    return out
