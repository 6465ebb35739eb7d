"""`mets index --engine ray`: the local engine's pipeline as a Ray Data job, for a cluster.

    from_items(files) -> map(read + preprocess, Ray tasks on every CPU)
        -> map_batches(Encoder, an actor pool holding the model; a GPU each when asked)
        -> materialize (embeddings and label columns only) -> write_parquet(out)

Each stage calls the same functions as the local engine (`pipeline.prepare`,
`pipeline.encode_windows`), so both give bit-identical embeddings on CPU (tests/test_index.py).
The driver lists the files, skips those already indexed and writes the manifest; the workers need
the files and the weights at the same paths (a shared filesystem) and mets_core installed.
Ray is imported only here, on demand: `pip install "mets-core[ray]"`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from mets_core.config import METSConfig, PreprocessConfig, from_dict, to_dict
from mets_core.errors import WeightsError
from mets_core.index.build import BATCH_RECORDS, BuildReport, pending_sources, record_run
from mets_core.index.format import (
    open_for_writing,
    preprocess_hash,
    rows_table,
    weights_id,
)
from mets_core.index.pipeline import Prepared, encode_windows, prepare, row_of
from mets_core.index.sources import RECORD_SUFFIXES, SourceFile
from mets_core.model.load import LoadedModel


def _prepare_row(item: dict, preprocess: dict) -> dict:
    """Ray task: read and preprocess one file; the reason replaces the windows on failure."""
    config = from_dict(PreprocessConfig, preprocess)
    source = SourceFile(
        Path(item["path"]), item["root"], item["source_path"], item["record_id"], {}
    )
    prepared = prepare(source, config)
    failed = prepared.windows is None
    placeholder = np.zeros((1, len(config.lead_names), config.window_samples), np.float32)
    return {
        **item,
        "windows": placeholder if failed else prepared.windows,
        "fs_hz": prepared.fs_hz or 0.0,
        "duration_s": prepared.duration_s or 0.0,
        "notes": json.dumps(list(prepared.notes)),
        "error": prepared.error,
    }


class Encoder:
    """Ray actor: holds one model and encodes batches of prepared records into index rows."""

    def __init__(self, weights: str | None, config: dict | None, device: str):
        from mets_core.model.load import load_model

        if weights is None:  # an untrained model, rebuilt from its config with the same seed
            config_ = from_dict(METSConfig, config) if config else None
            self.model = load_model(None, device, random_init=True, config=config_)
        else:
            self.model = load_model(weights, device)
        self.sha, self.digest = weights_id(self.model), preprocess_hash(self.model)

    def __call__(self, batch: dict[str, np.ndarray]) -> pa.Table:
        items = [{key: batch[key][i] for key in batch} for i in range(len(batch["path"]))]
        prepared = [_as_prepared(item) for item in items]
        ok = [p for p in prepared if not p.error]
        embeddings = iter(encode_windows(self.model, [p.windows for p in ok]))
        dim = self.model.config.embedding_dim
        rows, vectors = [], []
        for item, entry in zip(items, prepared, strict=True):
            row = row_of(entry, self.sha, self.digest)
            row.update(json.loads(str(item["meta"])))
            rows.append({**row, "error": entry.error})
            vectors.append(np.zeros(dim, np.float32) if entry.error else next(embeddings))
        table = rows_table(rows, np.stack(vectors))
        errors = pa.array([row["error"] for row in rows], pa.string())
        return table.append_column("error", errors)


def _as_prepared(item: dict) -> Prepared:
    source = SourceFile(
        Path(str(item["path"])),
        str(item["root"]),
        str(item["source_path"]),
        str(item["record_id"]),
        {},
    )
    error = str(item["error"])
    return Prepared(
        source,
        None if error else np.asarray(item["windows"], dtype=np.float32),
        float(item["fs_hz"]) or None,
        float(item["duration_s"]) or None,
        tuple(json.loads(str(item["notes"]))),
        error,
    )


def build_index_ray(
    root: Path,
    out: Path,
    model: LoadedModel,
    *,
    address: str | None = None,
    actors: int = 1,
    gpus_per_actor: float = 0.0,
    batch_records: int = BATCH_RECORDS,
    suffixes: tuple[str, ...] = RECORD_SUFFIXES,
    only: set[str] | None = None,
) -> BuildReport:
    """Index `root` into `out` with Ray Data (same result as `build.build_index`).

    Args:
        root: archive folder, on a filesystem every Ray node sees at the same path.
        out: index folder (shared filesystem as well); created or extended.
        model: the model in use on the driver (its weights file is what the actors load).
        address: Ray cluster address ("auto" = the running cluster); None starts a local Ray
            unless one is initialised already (the tests call `ray.init(num_cpus=2)` first).
        actors: encoder actors (model copies); gpus_per_actor: GPUs each actor reserves (0 = CPU).
        batch_records: records per encoder batch.

    Raises:
        WeightsError: `out` holds an index made with other weights, or the model's weights are
            not a file the actors can load. DataError: see `build.build_index`.
    """
    import ray

    started = time.perf_counter()
    manifest = open_for_writing(Path(out), model)
    pending, already = pending_sources(Path(root), Path(out), suffixes, only)
    report = BuildReport(str(out), "ray", Path(root).as_posix(), len(pending) + already, already)
    if pending:
        if not ray.is_initialized():
            ray.init(address=address)
        encoded = _pipeline(model, pending, actors, gpus_per_actor, batch_records).materialize()
        failed = encoded.filter(expr="error != ''").select_columns(["source_path", "error"])
        report.skipped = [(r["source_path"], r["error"]) for r in failed.take_all()]
        written = encoded.filter(expr="error == ''").drop_columns(["error"])
        report.indexed = written.count()
        if report.indexed:
            written.write_parquet(str(Path(out).resolve()))
    report.seconds = round(time.perf_counter() - started, 3)
    record_run(Path(out), manifest, report)
    return report


def _pipeline(model: LoadedModel, pending: list[SourceFile], actors, gpus, batch_records):
    import ray

    weights = model.weights.path
    if weights is None and model.weights.trained:
        raise WeightsError("The Ray engine needs weights saved to a file the actors can load.")
    items = [
        {
            "path": str(s.path.resolve()),
            "root": s.root,
            "source_path": s.source_path,
            "record_id": s.record_id,
            "meta": json.dumps(s.meta),
        }
        for s in pending
    ]
    config = None if weights is not None else to_dict(model.config)
    return (
        ray.data.from_items(items)
        .map(_prepare_row, fn_kwargs={"preprocess": to_dict(model.config.preprocess)})
        .map_batches(
            Encoder,
            fn_constructor_kwargs={
                "weights": weights,
                "config": config,
                "device": "auto" if gpus else "cpu",
            },
            batch_size=batch_records,
            concurrency=actors,
            num_gpus=gpus,
        )
    )
