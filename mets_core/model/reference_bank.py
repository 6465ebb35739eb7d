"""The reference bank shipped beside the weights: training-fold ECG embeddings with their labels
and report text, in one `.npz` file whose SHA-256 the weights sidecar records.

`<stem>.bank.npz` holds, with no pickled object anywhere (`allow_pickle=False`):

* ``embeddings``: float16 (N, D) unit-norm ECG embeddings, made exactly as `rank` embeds an ECG;
* ``ecg_ids``: int64 (N,) PTB-XL ecg_id; ``strat_folds``: int8 (N,) each record's fold;
* ``meta``: UTF-8 JSON (as uint8 bytes): the format name, the dataset, and per record its labels
  (all four tasks), its generated English report and its original report where present.

No patient data: no patient id, age, sex or date; PTB-XL reports describe the tracing only.
Building it is `mets bank` (`mets_core.evaluate.reference`); using it is `mets_core.zeroshot`.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mets_core.errors import WeightsError
from mets_core.model.lru import LRUCache

BANK_FORMAT = "mets-reference-bank/1"
BANK_SUFFIX = ".bank.npz"


@dataclass(frozen=True)
class ReferenceBank:
    """Reference ECGs of the training folds, as embeddings with their labels and reports.

    Attributes:
        embeddings: float32 (N, D) unit-norm (stored as float16, renormalised on load).
        ecg_ids: int64 (N,) PTB-XL ecg_id of each row.
        strat_folds: int64 (N,) PTB-XL fold of each row (training folds only).
        labels: per row, task ("superclass", "subclass", "form", "rhythm") -> class names.
        reports: per row, the English report generated from its SCP statements.
        original_reports: per row, the dataset's own report text (often German), or None.
        dataset: where the records came from, in words.
        path: the file it was read from, or None when built in memory.
        text_cosines: per text embedding, its cosines with every row, sorted (filled by
            `zeroshot.reference.reference_percentiles`; text-derived only, never an ECG read).
    """

    embeddings: npt.NDArray[np.float32]
    ecg_ids: npt.NDArray[np.int64]
    strat_folds: npt.NDArray[np.int64]
    labels: tuple[dict[str, tuple[str, ...]], ...]
    reports: tuple[str, ...]
    original_reports: tuple[str | None, ...]
    dataset: str = "PTB-XL"
    path: str | None = None
    text_cosines: LRUCache[npt.NDArray[np.float32]] = field(
        default_factory=lambda: LRUCache(max_entries=512), compare=False, repr=False
    )

    def __len__(self) -> int:
        return len(self.ecg_ids)


def bank_path(tensor_path: str | Path, file_name: str) -> Path:
    """Where a sidecar's bank `file_name` lives: beside the weights' tensor file."""
    return Path(tensor_path).parent / file_name


def save_reference_bank(path: str | Path, bank: ReferenceBank) -> None:
    """Write `bank` to `path` (a `.npz`); the caller records the file's SHA-256 in the sidecar.

    Raises:
        WeightsError: rows that disagree in number, or embeddings that are not (N, D).
    """
    n = len(bank.ecg_ids)
    sizes = {len(bank.strat_folds), len(bank.labels), len(bank.reports), len(bank.original_reports)}
    if bank.embeddings.ndim != 2 or len(bank.embeddings) != n or sizes != {n}:
        shape = bank.embeddings.shape
        raise WeightsError(f"Reference bank rows disagree: {n} ids, embeddings {shape}.")
    meta = {
        "format": BANK_FORMAT,
        "dataset": bank.dataset,
        "records": [
            {"labels": {t: list(c) for t, c in labels.items()}, "report": report, "original": orig}
            for labels, report, orig in zip(
                bank.labels, bank.reports, bank.original_reports, strict=True
            )
        ],
    }
    payload = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8")
    np.savez_compressed(
        Path(path),
        embeddings=bank.embeddings.astype(np.float16),
        ecg_ids=bank.ecg_ids.astype(np.int64),
        strat_folds=bank.strat_folds.astype(np.int8),
        meta=np.frombuffer(payload, dtype=np.uint8),
    )


def read_reference_bank(path: str | Path, sha256: str, dim: int) -> ReferenceBank:
    """Read a bank and verify it against the checksum its weights' sidecar recorded.

    Args:
        path: the `.npz` file. sha256: the sidecar's ``reference_bank.sha256``.
        dim: the model's embedding size D (the bank must match it).

    Raises:
        WeightsError: a missing file, a checksum mismatch (tampered or truncated), or content
            that is not a METS reference bank of this model.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(
            f"The reference bank {path.name} named in the weights sidecar is missing; copy it "
            "next to the weights, or rebuild it with `mets bank --weights <weights>`."
        )
    data = path.read_bytes()  # hashed and parsed from the same bytes
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise WeightsError(
            f"The reference bank {path.name} does not match its recorded checksum (expected "
            f"{sha256}, found {actual}); it may be corrupted or modified, so it is not used. "
            "Restore the original file, or rebuild it with `mets bank --weights <weights>`."
        )
    return _parse(data, path, dim)


def _parse(data: bytes, path: Path, dim: int) -> ReferenceBank:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            embeddings = arrays["embeddings"].astype(np.float32)
            ids, folds = arrays["ecg_ids"].astype(np.int64), arrays["strat_folds"].astype(np.int64)
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as error:
        raise WeightsError(f"{path.name} is not a METS reference bank ({error}).") from error
    records = meta.get("records", [])
    if meta.get("format") != BANK_FORMAT or embeddings.shape != (len(ids), dim):
        raise WeightsError(
            f"{path.name} is not a {BANK_FORMAT} file for {dim}-d embeddings "
            f"(format {meta.get('format')!r}, embeddings {embeddings.shape})."
        )
    if len(records) != len(ids) or len(folds) != len(ids):
        raise WeightsError(f"{path.name}: {len(ids)} embeddings but {len(records)} records.")
    embeddings /= np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    return ReferenceBank(
        embeddings=embeddings,
        ecg_ids=ids,
        strat_folds=folds,
        labels=tuple({t: tuple(c) for t, c in r["labels"].items()} for r in records),
        reports=tuple(r["report"] for r in records),
        original_reports=tuple(r.get("original") for r in records),
        dataset=str(meta.get("dataset", "")),
        path=str(path),
    )
