"""Reading an ECG against the reference bank: its nearest training ECGs, and each candidate's
percentile among them.

The bank (`model.reference_bank`) holds the training-fold ECGs (PTB-XL folds 1-8) embedded
exactly as `rank` embeds an ECG. Two uses:

* **Neighbours**: the k reference ECGs most similar to this one (cosine of the ECG embeddings),
  with their labels and report text: case-based evidence a clinician can check.
* **Percentile**: for a candidate text, the share of reference ECGs whose cosine with that text is
  below this ECG's. Some texts score high with every ECG ("acute inferior STEMI" topped 4 of 7
  unrelated files); the percentile removes that bias of the text itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from mets_core.model.reference_bank import ReferenceBank

DEFAULT_NEIGHBOURS = 5  # reference ECGs shown beside a ranking (also k of the abstain check)


@dataclass(frozen=True)
class Neighbour:
    """One reference ECG close to the ECG being read.

    Attributes:
        ecg_id: PTB-XL ecg_id (training folds 1-8).
        cosine: cosine between the two ECG embeddings, in [-1, 1].
        labels: task ("superclass", "subclass", "form", "rhythm") -> its class names.
        report: English report generated from its SCP statements.
        original_report: the dataset's own report (often German), or None.
    """

    ecg_id: int
    cosine: float
    labels: dict[str, tuple[str, ...]]
    report: str
    original_report: str | None

    def to_dict(self) -> dict:
        """JSON-ready: ecg_id, cosine, labels (lists), report, original_report."""
        return {
            "ecg_id": self.ecg_id,
            "cosine": self.cosine,
            "labels": {task: list(names) for task, names in self.labels.items()},
            "report": self.report,
            "original_report": self.original_report,
        }


def _as_numpy(embedding: torch.Tensor | np.ndarray) -> npt.NDArray[np.float32]:
    if isinstance(embedding, torch.Tensor):
        embedding = embedding.detach().float().cpu().numpy()
    return np.asarray(embedding, dtype=np.float32)


def bank_cosines(bank: ReferenceBank, embedding: torch.Tensor | np.ndarray) -> np.ndarray:
    """(D,) unit-norm embedding (an ECG's or a text's) -> (N,) float32 cosines with every
    reference ECG.

    `einsum`, not `@`: the matrix-vector product in numpy's BLAS wakes its thread pool, which on
    a busy 2-core machine cost 5-10 ms per product (up to 270 ms) for 0.15 ms of arithmetic. The
    einsum loop runs on the calling thread, so its result also no longer depends on how many BLAS
    threads the machine has (those gave cosines differing in the last float32 bit).
    """
    return np.einsum("nd,d->n", bank.embeddings, _as_numpy(embedding))


def nearest_references(
    bank: ReferenceBank, ecg_emb: torch.Tensor | np.ndarray, k: int = DEFAULT_NEIGHBOURS
) -> tuple[Neighbour, ...]:
    """The `k` reference ECGs most similar to `ecg_emb` (D,), most similar first."""
    cosines = bank_cosines(bank, ecg_emb)
    order = np.argsort(-cosines, kind="stable")[: max(0, k)]
    return tuple(
        Neighbour(
            int(bank.ecg_ids[i]),
            float(cosines[i]),
            bank.labels[i],
            bank.reports[i],
            bank.original_reports[i],
        )
        for i in order
    )


def reference_similarity(neighbours: Sequence[Neighbour]) -> float:
    """Mean cosine of an ECG's nearest reference ECGs (`nearest_references`, k >= 1): how much
    it looks like training ECGs. Takes the neighbours, not the bank, so that a ranking computes
    the bank's cosines once for the neighbours it shows and the abstain check it makes."""
    return float(np.mean(np.asarray([n.cosine for n in neighbours], dtype=np.float32)))


def reference_percentiles(
    bank: ReferenceBank, label_emb: torch.Tensor | np.ndarray, cosines: np.ndarray
) -> npt.NDArray[np.float64]:
    """Each candidate's percentile among the reference ECGs (0-100).

    Args:
        bank: the reference bank (N ECGs).
        label_emb: (C, D) unit-norm candidate embeddings, as scored for this ECG.
        cosines: (C,) this ECG's cosine with each candidate.

    Returns:
        (C,) share (%) of reference ECGs whose cosine with that candidate is below this ECG's:
        0 = less similar than every reference ECG, 100 = more similar than all of them. For a
        fixed candidate it never decreases as the cosine grows.
    """
    # A candidate's cosines with the N reference ECGs depend on its text only: they are kept
    # sorted in the bank's cache, so a repeated candidate costs one binary search (the count
    # of reference cosines strictly below this ECG's, as float32, as they are compared).
    below = [
        int(np.searchsorted(_sorted_text_cosines(bank, label), np.float32(cosine), side="left"))
        for label, cosine in zip(_as_numpy(label_emb), cosines, strict=True)
    ]
    return 100.0 * np.asarray(below, dtype=np.float64) / max(1, len(bank.embeddings))


def _sorted_text_cosines(bank: ReferenceBank, label: npt.NDArray[np.float32]) -> np.ndarray:
    """(D,) text embedding -> (N,) its cosines with the reference ECGs, ascending (cached)."""
    label = np.ascontiguousarray(label, dtype=np.float32)
    return bank.text_cosines.get_or_compute(
        label.tobytes(), lambda: np.sort(bank_cosines(bank, label))
    )
