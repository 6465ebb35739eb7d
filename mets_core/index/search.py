"""Exact cosine search over an index: by text (the model's text tower) or by an example ECG.

The embeddings of every shard are copied once into `embeddings.f16.npy` (N x D float16, 256 MB
for 1 M x 128) and memory-mapped; a query is one float16 pass over it in chunks (memory stays flat
whatever N is), then an exact float32 re-scoring of the rows that can be in the top k. The other
columns stay in an Arrow table; filters on labels, dataset and source path are Arrow compute
masks. Embeddings are stored unit-norm, so the dot product is the cosine (of the float16-rounded
vectors: within 1e-3 of the float32 embedding's).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import torch

from mets_core.errors import DataError, LabelInputError
from mets_core.index.format import (
    MATRIX_CACHE,
    META_COLUMNS,
    PTBXL_TASKS,
    Manifest,
    read_columns,
    read_manifest,
    shard_paths,
)
from mets_core.model.load import LoadedModel, encode_ecg
from mets_core.record import ECGRecord

BUNDLED_INDEX = Path(__file__).resolve().parents[2] / "weights" / "ptbxl_fold10.index"  # 255 rows
SCORE_CHUNK_ROWS = 262_144  # rows per float16 product (64 MB for D = 128)
COARSE_MARGIN = 2e-3  # > the float16 product's error on unit vectors (< 1e-3)
HIT_COLUMNS = (
    "record_id",
    "source_path",
    "root",
    "dataset",
    "labels",
    "report",
    "ptbxl_ecg_id",
    "ptbxl_strat_fold",
)


@dataclass(frozen=True)
class Filters:
    """Which rows a search may return (None = no condition).

    Attributes:
        label: a label or PTB-XL class code the row must carry (case-insensitive, whole item:
            "left bundle branch block", "CLBBB", "SNOMED-CT 164909002").
        dataset: "PTB-XL", "CinC 2020/2021", ... (case-insensitive).
        source: text the source path must contain (case-insensitive), e.g. "records100/01000".
    """

    label: str | None = None
    dataset: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Hit:
    """One search result: a record, its cosine to the query and what its source says."""

    rank: int
    cosine: float
    record_id: str
    source_path: str
    root: str
    dataset: str | None
    labels: tuple[str, ...]
    report: str | None
    ptbxl_ecg_id: int | None
    ptbxl_strat_fold: int | None

    def to_dict(self) -> dict:
        return {**self.__dict__, "labels": list(self.labels)}


class ECGIndex:
    """An opened index: its manifest, its row metadata and the memory-mapped (N, D) matrix."""

    def __init__(self, folder: Path, manifest: Manifest, meta: pa.Table, matrix: np.ndarray):
        self.folder = Path(folder)
        self.manifest = manifest
        self.meta = meta
        self.matrix = matrix  # (N, D) float16, usually a read-only np.memmap

    def __len__(self) -> int:
        return self.meta.num_rows

    def search_text(
        self, model: LoadedModel, text: str, top: int = 20, filters: Filters | None = None
    ) -> list[Hit]:
        """Records nearest to a free-text description, with the weights' fold-9 template.

        Raises:
            LabelInputError: an empty query. WeightsError: the index was made by other weights.
        """
        from mets_core.zeroshot.rank import build_label_embeddings

        if not text or not text.strip():
            raise LabelInputError("Type what to search for, e.g. 'left bundle branch block'.")
        self.manifest.check_model(model, self.folder)
        query = build_label_embeddings(model, [text.strip()])[0].float().cpu().numpy()
        return self.nearest(query, top, filters)

    def search_like(
        self, model: LoadedModel, source: object, top: int = 20, filters: Filters | None = None
    ) -> list[Hit]:
        """Records nearest to an ECG (any path, bytes or upload `load_record` reads).

        Raises:
            ECGInputError: the ECG cannot be read. WeightsError: the index has other weights.
        """
        self.manifest.check_model(model, self.folder)
        return self.nearest(embed_ecg(model, source), top, filters)

    def search_record(
        self, model: LoadedModel, record: ECGRecord, top: int = 20, filters: Filters | None = None
    ) -> list[Hit]:
        """Records nearest to an ECG already loaded (the app's session record).

        Raises:
            ECGInputError: the record cannot be model input. WeightsError: other weights.
        """
        self.manifest.check_model(model, self.folder)
        return self.nearest(embed_record(model, record), top, filters)

    def nearest(
        self, query: npt.NDArray[np.float32], top: int = 20, filters: Filters | None = None
    ) -> list[Hit]:
        """The `top` rows with the highest cosine to a unit-norm (D,) query, best first."""
        if query.shape != (self.matrix.shape[1],):
            raise DataError(
                f"Expected a query of {self.matrix.shape[1]} values; got shape {query.shape}."
            )
        rows, cosines = exact_top_k(self.matrix, query, top, self.mask(filters or Filters()))
        return [
            self._hit(rank, int(row), float(cosine))
            for rank, (row, cosine) in enumerate(zip(rows, cosines, strict=True), 1)
        ]

    def mask(self, filters: Filters) -> npt.NDArray[np.bool_] | None:
        """Rows allowed by `filters`, or None when every row is."""
        allowed = np.ones(len(self), dtype=bool)
        if filters.label:
            allowed &= self._has_label(filters.label)
        if filters.dataset:
            column = pc.utf8_lower(pc.fill_null(self.meta["dataset"], ""))
            allowed &= pc.equal(column, filters.dataset.lower()).to_numpy(zero_copy_only=False)
        if filters.source:
            found = pc.match_substring(self.meta["source_path"], filters.source, ignore_case=True)
            allowed &= found.to_numpy(zero_copy_only=False)
        return None if allowed.all() else allowed

    def _has_label(self, label: str) -> npt.NDArray[np.bool_]:
        allowed = np.zeros(len(self), dtype=bool)
        for name in ("labels", *(f"ptbxl_{task}" for task in PTBXL_TASKS)):
            column = pa.chunked_array(self.meta[name].chunks).combine_chunks()
            flat, parents = pc.list_flatten(column), pc.list_parent_indices(column)
            match = pc.equal(pc.utf8_lower(flat), label.strip().lower())
            rows = pc.filter(parents, pc.fill_null(match, False)).to_numpy()
            allowed[rows] = True
        return allowed

    def _hit(self, rank: int, row: int, cosine: float) -> Hit:
        values = {name: self.meta[name][row].as_py() for name in HIT_COLUMNS}
        return Hit(rank, cosine, **{**values, "labels": tuple(values["labels"] or ())})


def hits_table(hits: list[Hit]) -> pd.DataFrame:
    """Hits as a table for display: rank, cosine (3 decimals), record, labels, report."""
    return pd.DataFrame(
        {
            "rank": [h.rank for h in hits],
            "cosine": [round(h.cosine, 3) for h in hits],
            "record": [h.record_id for h in hits],
            "PTB-XL ecg_id": [h.ptbxl_ecg_id for h in hits],
            "labels": ["; ".join(h.labels) for h in hits],
            "report": [h.report or "" for h in hits],
        }
    )


def cosine_scores(matrix: np.ndarray, query: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """(N, D) float16 unit rows . (D,) unit query -> (N,) approximate cosines (|error| < 1e-3).

    One float16 matrix-vector product per SCORE_CHUNK_ROWS rows (torch: 5-7x faster on CPU
    than converting the rows to float32 first); `exact_top_k` re-scores its candidates exactly.
    """
    scores = np.empty(len(matrix), dtype=np.float32)
    vector = torch.from_numpy(np.asarray(query, dtype=np.float32)).half()
    with warnings.catch_warnings():  # a read-only memmap becomes a tensor that is only read
        warnings.simplefilter("ignore", UserWarning)
        for start in range(0, len(matrix), SCORE_CHUNK_ROWS):
            block = torch.from_numpy(np.asarray(matrix[start : start + SCORE_CHUNK_ROWS]))
            scores[start : start + len(block)] = (block @ vector).float().numpy()
    return scores


def exact_top_k(
    matrix: np.ndarray,
    query: npt.NDArray[np.float32],
    k: int,
    allowed: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """Rows of the k highest cosines (allowed rows only) and those cosines, highest first.

    Exact: every row within COARSE_MARGIN of the k-th approximate score is re-scored in float32
    (the float16 product errs by < 1e-3), so no true top-k row can be missed.
    """
    coarse = cosine_scores(matrix, query)
    if allowed is not None:
        coarse[~allowed] = -np.inf
    k = min(int(k), int(np.isfinite(coarse).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
    kth = np.partition(coarse, len(coarse) - k)[len(coarse) - k]
    candidates = np.flatnonzero(coarse >= kth - COARSE_MARGIN)
    exact = np.asarray(matrix[candidates], dtype=np.float32) @ np.asarray(query, np.float32)
    order = top_k(exact, k)
    return candidates[order], exact[order]


def top_k(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    """Indices of the k highest scores, highest first (ties by row order)."""
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    if k < len(scores):
        candidates = np.argpartition(-scores, k - 1)[:k]
    else:
        candidates = np.arange(len(scores))
    return candidates[np.lexsort((candidates, -scores[candidates]))]


def embed_ecg(model: LoadedModel, source: object) -> npt.NDArray[np.float32]:
    """One ECG (anything `load_record` reads) -> its (D,) embedding, as the index computes it."""
    from mets_core.io.load import load_record

    return embed_record(model, load_record(source))  # type: ignore[arg-type]


def embed_record(model: LoadedModel, record: ECGRecord) -> npt.NDArray[np.float32]:
    """An ECGRecord already in memory (signal (L, T) mV) -> its (D,) query embedding.

    Encoded as `rank` encodes it (its own windows in one batch), not through the index's
    fixed 32-window batches: one query would otherwise pay for 32 windows (0.5-0.6 s instead of
    ~20 ms for the 4-run ensemble on this CPU). The two differ by float rounding only
    (tests/test_index.py), far below the float16 the index stores.
    """
    from mets_core.signal.preprocess import preprocess_for_model

    windows = preprocess_for_model(record, model.config.preprocess).windows
    return encode_ecg(model, windows).float().cpu().numpy()


def open_index(folder: Path, model: LoadedModel | None = None) -> ECGIndex:
    """Open an index folder for searching; with `model`, refuse one made by other weights.

    Raises:
        DataError: the folder holds no index. WeightsError: made with other weights.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        raise DataError(
            f"{folder} holds no METS index (no index.json); make one with "
            f"`mets index ARCHIVE --out {folder}`."
        )
    if model is not None:
        manifest.check_model(model, folder)
    meta = read_columns(folder, list(META_COLUMNS))
    return ECGIndex(folder, manifest, meta, embedding_matrix(folder, manifest.embedding_dim))


def embedding_matrix(folder: Path, dim: int) -> np.ndarray:
    """The (N, D) float16 matrix of every shard: memory-mapped from the cache, rebuilt if stale.

    The cache is rewritten when the shard list changed (a run appended rows); a read-only index
    folder (e.g. one shipped inside a package) is read into memory instead.
    """
    folder = Path(folder)
    shards = shard_paths(folder)
    signature = [[p.name, p.stat().st_size] for p in shards]
    cache, stamp = folder / MATRIX_CACHE, folder / f"{MATRIX_CACHE}.json"
    if cache.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == signature:
        return np.load(cache, mmap_mode="r")
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in shards)
    try:
        target = np.lib.format.open_memmap(cache, mode="w+", dtype=np.float16, shape=(rows, dim))
    except OSError:
        target = np.empty((rows, dim), dtype=np.float16)
    _fill(target, shards, dim)
    if isinstance(target, np.memmap):
        target.flush()
        stamp.write_text(json.dumps(signature))
        return np.load(cache, mmap_mode="r")
    return target


def _fill(target: np.ndarray, shards: list[Path], dim: int) -> None:
    start = 0
    for path in shards:
        column = pq.read_table(path, columns=["embedding"])["embedding"].combine_chunks()
        values = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)
        target[start : start + len(values)] = values
        start += len(values)
