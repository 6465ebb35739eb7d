"""The index on disk: a folder of Parquet shards, a JSON manifest and a float16 matrix cache.

    ptbxl.index/
        index.json                        manifest: weights, preprocessing, runs (what was skipped)
        part-<run>-<n>.parquet            rows written by the local engine (one file per batch run)
        <ray uuid>_<task>.parquet         rows written by the Ray engine
        embeddings.f16.npy                derived: every shard's embeddings, memory-mapped by search

Every shard has the columns of `SCHEMA` (readable by any Parquet tool: pandas, duckdb, polars,
Spark). Rows never hold patient fields (name, id, age, sex, birth date): only the record id, the
path relative to the indexed root, the embedding, the weights and preprocessing that made it, and
the labels and report text the source publishes. An index is tied to one set of weights and one
preprocessing contract; opening it with other weights is refused, naming both.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from mets_core.config import to_dict
from mets_core.errors import DataError, WeightsError
from mets_core.model.load import LoadedModel

FORMAT_VERSION = 1  # bump when a column is added, removed or changes meaning
MANIFEST = "index.json"
MATRIX_CACHE = "embeddings.f16.npy"
RANDOM_INIT_ID = "random-init (untrained)"  # weights_sha256 of an index made by an untrained model
PTBXL_TASKS = ("superclass", "subclass", "form", "rhythm")


def _string_list() -> pa.DataType:
    return pa.list_(pa.string())


def index_schema(dim: int) -> pa.Schema:
    """The columns of every shard, for embeddings of `dim` values (the model's embedding_dim)."""
    return pa.schema(
        [
            ("record_id", pa.string()),  # path relative to the root; WFDB: without ".hea"
            ("source_path", pa.string()),  # the file read, relative to `root`
            ("root", pa.string()),  # the folder that was indexed, as given to `mets index`
            ("embedding", pa.list_(pa.float16(), dim)),  # unit-norm ECG embedding (D,)
            ("weights_sha256", pa.string()),  # the tensor file that made the embedding
            ("preprocess_hash", pa.string()),  # `preprocess_hash(config.preprocess)`
            ("dataset", pa.string()),  # "PTB-XL", "CinC 2020/2021" or null when unknown
            ("labels", _string_list()),  # what the source states, in its own words (see below)
            ("report", pa.string()),  # the source's free-text report, or null
            ("ptbxl_ecg_id", pa.int64()),  # PTB-XL only
            ("ptbxl_strat_fold", pa.int64()),  # PTB-XL only: 1-10
            *[(f"ptbxl_{task}", _string_list()) for task in PTBXL_TASKS],  # PTB-XL class codes
            ("fs_hz", pa.float64()),  # the file's sampling rate
            ("duration_s", pa.float64()),  # the file's length
            ("notes", _string_list()),  # every adjustment made while reading and preprocessing
        ]
    )


# `labels`: PTB-XL -> the plain class names users type ("left bundle branch block"), over all four
# tasks; CinC -> "SNOMED-CT <code>" from the header's #Dx line; MIT-BIH and others -> empty.
META_COLUMNS = tuple(
    name for name in index_schema(1).names if name not in ("embedding", "weights_sha256")
)


def preprocess_hash(model: LoadedModel) -> str:
    """First 16 hex digits of the SHA-256 of the preprocessing contract (sidecar JSON)."""
    text = json.dumps(to_dict(model.config.preprocess), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def weights_id(model: LoadedModel) -> str:
    """The weights SHA-256, or `RANDOM_INIT_ID` for an untrained model."""
    return model.weights.sha256 or RANDOM_INIT_ID


@dataclass
class Manifest:
    """`index.json`: what every row of the index was made with, and what each run did.

    Attributes:
        weights_name: e.g. "mets_resnet18".
        weights_sha256: the tensor file's SHA-256 (`RANDOM_INIT_ID` for an untrained model).
        preprocess: the preprocessing contract, as in the weights sidecar.
        preprocess_hash: `preprocess_hash(model)`.
        embedding_dim: D.
        zero_shot_template: the weights' fold-9 template, used for text queries.
        runs: one entry per `mets index` run: engine, root, counts, skipped files with reasons.
    """

    weights_name: str
    weights_sha256: str
    preprocess: dict
    preprocess_hash: str
    embedding_dim: int
    zero_shot_template: str
    format_version: int = FORMAT_VERSION
    runs: list[dict] = field(default_factory=list)

    @classmethod
    def for_model(cls, model: LoadedModel) -> Manifest:
        return cls(
            weights_name=model.weights.name,
            weights_sha256=weights_id(model),
            preprocess=to_dict(model.config.preprocess),
            preprocess_hash=preprocess_hash(model),
            embedding_dim=int(model.config.embedding_dim),
            zero_shot_template=model.config.zero_shot_template,
        )

    def check_model(self, model: LoadedModel, where: Path) -> None:
        """Refuse a model whose weights or preprocessing differ from the index's.

        Raises:
            WeightsError: naming the index's weights and the model's.
        """
        if self.weights_sha256 != weights_id(model):
            raise WeightsError(
                f"The index {where} was made with the weights {self.weights_name} "
                f"(sha256 {self.weights_sha256[:12]}); the model in use is {model.weights.name} "
                f"(sha256 {weights_id(model)[:12]}). Its embeddings are not comparable: search "
                f"with --weights pointing at {self.weights_name}, or index again into a new folder."
            )
        if self.preprocess_hash != preprocess_hash(model):
            raise WeightsError(
                f"The index {where} was made with another preprocessing contract "
                f"({self.preprocess_hash}) than the model in use ({preprocess_hash(model)})."
            )


def read_manifest(folder: Path) -> Manifest | None:
    """The manifest of an index folder, or None when the folder holds no index yet.

    Raises:
        DataError: when index.json is unreadable or from another format version.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except (json.JSONDecodeError, TypeError) as error:
        raise DataError(f"{path} is not a METS index manifest: {error}") from None
    if manifest.format_version != FORMAT_VERSION:
        raise DataError(
            f"{path} has index format {manifest.format_version}; this METS reads format "
            f"{FORMAT_VERSION}. Index the archive again into a new folder."
        )
    return manifest


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write index.json atomically (a temporary file renamed over the old one)."""
    path = Path(folder) / MANIFEST
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(manifest.__dict__, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def open_for_writing(folder: Path, model: LoadedModel) -> Manifest:
    """The manifest of an existing index made by `model`, or a new one (folder created).

    Raises:
        WeightsError: when the folder holds an index made with other weights.
        DataError: when the folder exists, is not empty and holds no index.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is not None:
        manifest.check_model(model, folder)
        return manifest
    if folder.exists() and any(folder.iterdir()):
        raise DataError(f"{folder} exists and is not a METS index; choose a new --out folder.")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.for_model(model)
    write_manifest(folder, manifest)
    return manifest


def shard_paths(folder: Path) -> list[Path]:
    """Every Parquet shard of an index, in the order their rows are numbered."""
    return sorted(Path(folder).glob("*.parquet"))


def rows_table(rows: list[dict], embeddings: npt.NDArray[np.float32]) -> pa.Table:
    """Rows (META_COLUMNS + weights_sha256) and their (N, D) embeddings -> an index table."""
    schema = index_schema(embeddings.shape[1])
    flat = pa.array(embeddings.astype(np.float16).reshape(-1), type=pa.float16())
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    columns["embedding"] = pa.FixedSizeListArray.from_arrays(flat, embeddings.shape[1])
    return pa.Table.from_pydict(columns, schema=schema)


def write_shard(folder: Path, name: str, table: pa.Table) -> Path:
    """Write one shard atomically: a crash leaves either the whole file or none."""
    path = Path(folder) / f"{name}.parquet"
    temporary = path.with_suffix(".parquet.tmp")
    pq.write_table(table, temporary)
    temporary.replace(path)
    return path


def read_columns(folder: Path, columns: list[str]) -> pa.Table:
    """Some columns of every shard, concatenated in `shard_paths` order."""
    tables = [pq.read_table(path, columns=columns) for path in shard_paths(folder)]
    if not tables:
        return pa.table({name: pa.array([], pa.string()) for name in columns})
    return pa.concat_tables(tables, promote_options="permissive")


def indexed_keys(folder: Path) -> set[tuple[str, str]]:
    """(root, record_id) of every row already in the index (what a re-run skips)."""
    if not Path(folder).is_dir():
        return set()
    table = read_columns(folder, ["root", "record_id"])
    return set(zip(table["root"].to_pylist(), table["record_id"].to_pylist(), strict=True))
