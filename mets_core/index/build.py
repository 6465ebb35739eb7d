"""`mets index` with the local engine: read, preprocess and encode an archive in batches.

Resumable: records already in the index (same root, same record id) are skipped, and rows are
written in shards of `SHARD_RECORDS`, each file written whole, so an interrupted run loses at
most the shard it was filling. Unreadable files are listed in the manifest with their reason.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from mets_core.index.format import (
    Manifest,
    indexed_keys,
    open_for_writing,
    preprocess_hash,
    read_manifest,
    rows_table,
    weights_id,
    write_manifest,
    write_shard,
)
from mets_core.index.pipeline import Prepared, encode_windows, prepare, row_of
from mets_core.index.sources import RECORD_SUFFIXES, SourceFile, find_records
from mets_core.model.load import LoadedModel

BATCH_RECORDS = 64  # records (or model windows, if fewer records) read and encoded together
SHARD_RECORDS = 4096  # rows per Parquet file written by the local engine


@dataclass
class BuildReport:
    """What one `mets index` run did.

    Attributes:
        out: the index folder.
        engine: "local" or "ray".
        root: the folder indexed.
        found: record files found under the root.
        already_indexed: of those, how many a previous run had indexed (skipped).
        indexed: rows written by this run.
        skipped: (source path, reason) of each file that could not be read or preprocessed.
        seconds: wall time of the run.
    """

    out: str
    engine: str
    root: str
    found: int = 0
    already_indexed: int = 0
    indexed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    started_utc: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["skipped"] = [{"source_path": p, "reason": r} for p, r in self.skipped]
        return data


def pending_sources(
    root: Path, out: Path, suffixes: tuple[str, ...] = RECORD_SUFFIXES, only: set[str] | None = None
) -> tuple[list[SourceFile], int]:
    """Record files under `root` that the index at `out` does not hold yet, and how many it does."""
    sources = find_records(root, suffixes, only)
    done = indexed_keys(out)
    pending = [s for s in sources if (s.root, s.record_id) not in done]
    return pending, len(sources) - len(pending)


def build_index(
    root: Path,
    out: Path,
    model: LoadedModel,
    *,
    suffixes: tuple[str, ...] = RECORD_SUFFIXES,
    only: set[str] | None = None,
    batch_records: int = BATCH_RECORDS,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Index (or extend the index of) every record file under `root` into the folder `out`.

    Args:
        root: archive folder (or one record file).
        out: index folder; created, or extended when it holds an index made by `model`.
        model: the model whose ECG tower makes the embeddings.
        suffixes: which file suffixes count as records (see `sources.RECORD_SUFFIXES`).
        only: index only these paths relative to `root` (POSIX); None = all.
        batch_records: records read and encoded together.
        progress: called as progress(done, total) after each batch (a tqdm bar in the CLI).

    Returns:
        What was indexed and skipped; the same is appended to the manifest's `runs`.

    Raises:
        WeightsError: `out` holds an index made with other weights.
        DataError: `root` is absent, or `out` is a non-empty folder that is no index.
    """
    started = time.perf_counter()
    manifest = open_for_writing(Path(out), model)
    pending, already = pending_sources(Path(root), Path(out), suffixes, only)
    report = BuildReport(str(out), "local", Path(root).as_posix(), len(pending) + already, already)
    run = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    shard: list[tuple[Prepared, np.ndarray]] = []
    for done, prepared, embedding in _encoded(model, pending, batch_records):
        if prepared.error:
            report.skipped.append((prepared.source.source_path, prepared.error))
        else:
            shard.append((prepared, embedding))
        if len(shard) >= SHARD_RECORDS:
            report.indexed += _write(out, f"part-{run}-{report.indexed:09d}", model, shard)
            shard = []
        if progress is not None:
            progress(done, len(pending))
    if shard:
        report.indexed += _write(out, f"part-{run}-{report.indexed:09d}", model, shard)
    report.seconds = round(time.perf_counter() - started, 3)
    record_run(Path(out), manifest, report)
    return report


def _encoded(
    model: LoadedModel, sources: list[SourceFile], batch_records: int
) -> Iterator[tuple[int, Prepared, np.ndarray | None]]:
    """(records done so far, prepared record, its embedding or None), in input order.

    A batch closes at `batch_records` records or as many model windows, whichever comes first,
    so a folder of 30-min Holter records (180 windows each) does not hold 64 of them in memory.
    """
    batch: list[Prepared] = []
    windows = 0
    for done, source in enumerate(sources, 1):
        batch.append(prepare(source, model.config.preprocess))
        windows += 0 if batch[-1].windows is None else len(batch[-1].windows)
        if len(batch) >= batch_records or windows >= batch_records or done == len(sources):
            ok = [p for p in batch if not p.error]
            embeddings = iter(encode_windows(model, [p.windows for p in ok]))
            for prepared in batch:
                yield done, prepared, None if prepared.error else next(embeddings)
            batch, windows = [], 0


def _write(out: Path, name: str, model: LoadedModel, shard: list) -> int:
    sha, digest = weights_id(model), preprocess_hash(model)
    rows = [row_of(prepared, sha, digest) for prepared, _ in shard]
    write_shard(Path(out), name, rows_table(rows, np.stack([e for _, e in shard])))
    return len(rows)


def record_run(out: Path, manifest: Manifest, report: BuildReport) -> None:
    """Append a run to the manifest (re-read first: the manifest is the one file runs share)."""
    current = read_manifest(out) or manifest
    current.runs.append(report.to_dict())
    write_manifest(out, current)
