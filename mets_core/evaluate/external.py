"""Zero-shot reading of ECGs from other sites (PhysioNet/CinC 2020-21 records), as served.

REPORTING ONLY (METHOD.md): these records never choose anything. Every record goes through
`mets_core.load_record` and `mets_core.rank` with the weights' served template and the plain class
names a user types; its `#Dx:` SNOMED-CT codes become PTB-XL SCP codes through the one table,
`data.cinc_snomed.SNOMED_CODES`. Two tables:

- rhythm: the PTB-XL rhythm task's classes, macro AUROC over the records that carry at least one
  rhythm code (a record without one has an unknown rhythm, as PTB-XL's protocol B leaves records
  without a rhythm label out), and atrial fibrillation alone on those records;
- shared classes (`cinc_snomed.SHARED_CLASSES`: AF, AFL, SB, STach, SR, RBBB, LBBB, 1AVB, PAC,
  PVC, LVH): one-vs-rest AUROC over every readable record (a code absent from `#Dx` counts as
  absent), and their macro mean.

Records that cannot be loaded are listed with the reason `load_record` gives, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mets_core.data.cinc_snomed import (
    NAMES_OUTSIDE_TASKS,
    SHARED_CLASSES,
    read_dx_codes,
    scp_codes,
    unmapped_codes,
)
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import DataError, METSError
from mets_core.evaluate.metrics import bootstrap_macro_auroc
from mets_core.io import load_record
from mets_core.model.load import LoadedModel
from mets_core.zeroshot.labels import task_labels
from mets_core.zeroshot.rank import rank

RHYTHM_TASK = "rhythm"
SITES = {"A": "CPSC 2018", "Q": "CPSC 2018 Extra", "E": "Georgia", "JS": "Chapman-Shaoxing/Ningbo"}
SITES |= {"S": "PTB Diagnostic"}


@dataclass(frozen=True)
class ExternalRecord:
    """One labelled external record: header path, SCP codes, SNOMED codes the table lacks."""

    header: Path
    scp: frozenset[str]
    unknown_codes: tuple[str, ...]

    @property
    def site(self) -> str:
        """The source database, from the record name's prefix (JS before S)."""
        name = self.header.stem
        prefix = "JS" if name.startswith("JS") else name[:1]
        return SITES.get(prefix, "unknown")


def external_records(folder: Path) -> list[ExternalRecord]:
    """Every `.hea` of a CinC folder with its PTB-XL codes, in name order.

    Raises:
        DataError: the folder has no `.hea` files.
    """
    headers = sorted(Path(folder).glob("*.hea"))
    if not headers:
        raise DataError(f"{folder} holds no .hea files (expected the CinC external records).")
    out = []
    for header in headers:
        dx = read_dx_codes(header)
        out.append(ExternalRecord(header, frozenset(scp_codes(dx)), tuple(unmapped_codes(dx))))
    return out


def candidate_names() -> dict[str, str]:
    """SCP code -> the plain name ranked for it: the rhythm classes, then the shared classes."""
    plain = {code: name for task in TASK_CLASSES for code, name in task_labels()[task].items()}
    plain |= NAMES_OUTSIDE_TASKS
    codes = list(dict.fromkeys([*TASK_CLASSES[RHYTHM_TASK], *SHARED_CLASSES]))
    return {code: plain[code] for code in codes}


def score_records(
    model: LoadedModel, records: list[ExternalRecord]
) -> tuple[list[ExternalRecord], npt.NDArray[np.float32], list[dict]]:
    """Cosines from `rank` for every loadable record.

    Returns:
        (records scored, (N, C) cosines in `candidate_names()` order, unreadable records as
        {"record", "reason"}).
    """
    names = candidate_names()
    texts = list(names.values())
    scored, rows, unreadable = [], [], []
    for record in records:
        try:
            ranking = rank(model, load_record(record.header), texts)
        except METSError as error:
            unreadable.append({"record": record.header.name, "reason": str(error)})
            continue
        cosine = {r.candidate: r.cosine for r in ranking}
        scored.append(record)
        rows.append([cosine[text] for text in texts])
    scores = np.array(rows, np.float32).reshape(len(rows), len(names))
    return scored, scores, unreadable


def _labels(records: list[ExternalRecord], codes: list[str]) -> npt.NDArray[np.bool_]:
    return np.array([[code in r.scp for code in codes] for r in records], bool).reshape(
        len(records), len(codes)
    )


def external_results(
    records: list[ExternalRecord],
    scores: npt.NDArray[np.float32],
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict:
    """Rhythm and shared-class AUROC from scored records (`score_records`'s first two values)."""
    columns = list(candidate_names())
    rhythm_codes = list(TASK_CLASSES[RHYTHM_TASK])
    rhythm_rows = [i for i, r in enumerate(records) if r.scp & set(rhythm_codes)]
    pick = [columns.index(c) for c in rhythm_codes]
    rhythm_records = [records[i] for i in rhythm_rows]
    rhythm_scores = scores[np.ix_(rhythm_rows, pick)]
    rhythm = bootstrap_macro_auroc(
        _labels(rhythm_records, rhythm_codes), rhythm_scores, rhythm_codes, n_resamples, seed
    )
    af = rhythm_codes.index("AFIB")
    af_alone = bootstrap_macro_auroc(
        _labels(rhythm_records, ["AFIB"]), rhythm_scores[:, [af]], ["AFIB"], n_resamples, seed
    )
    shared_codes = list(SHARED_CLASSES)
    shared_scores = scores[:, [columns.index(c) for c in shared_codes]]
    shared = bootstrap_macro_auroc(
        _labels(records, shared_codes), shared_scores, shared_codes, n_resamples, seed
    )
    return {
        "rhythm": rhythm,
        "af": af_alone,
        "shared": shared,
        "n_rhythm_records_by_site": _count_sites(rhythm_records),
        "n_records_by_site": _count_sites(records),
    }


def _count_sites(records: list[ExternalRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        counts[record.site] = counts.get(record.site, 0) + 1
    return counts


def evaluate_external(
    model: LoadedModel, folder: Path, n_resamples: int = 1000, seed: int = 0
) -> dict:
    """Load, rank and score every record of `folder` (reporting only; never choose on it).

    Returns:
        `external_results`'s dict plus "template", "candidates" {SCP code: name}, "n_records",
        "unreadable" [{"record", "reason"}] and "unknown_snomed_codes".
    """
    records = external_records(folder)
    scored, scores, unreadable = score_records(model, records)
    unknown = sorted({code for r in records for code in r.unknown_codes})
    return {
        "what": "reporting only: never used to choose a checkpoint, prompt or threshold",
        "template": model.config.zero_shot_template,
        "candidates": candidate_names(),
        "n_records": len(records),
        "unreadable": unreadable,
        "unknown_snomed_codes": unknown,
        **external_results(scored, scores, n_resamples, seed),
    }
