"""The path from a file to its index row, shared by the local and the Ray engine.

read (`load_record`) -> preprocess (`preprocess_for_model` with the weights' contract) -> encode.

Encoding runs the ECG tower on fixed-shape batches of `ENCODE_BATCH` windows, the last one padded
with zeros. On CPU a window's output then does not depend on which other windows share its batch
(PyTorch picks its convolution kernels by shape), so the two engines, which group records into
batches differently, give bit-identical embeddings; a batch of another size would differ by
~1e-7, enough to flip float16 roundings. A record's embedding is the normalised mean of its
windows' embeddings, as in `mets_core.encode_ecg`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from mets_core.config import PreprocessConfig
from mets_core.index.sources import SourceFile
from mets_core.model.load import LoadedModel
from mets_core.signal.preprocess import preprocess_for_model

ENCODE_BATCH = 32  # windows per forward pass; fixed so results do not depend on grouping


@dataclass(frozen=True)
class Prepared:
    """One record after reading and preprocessing, or the reason it could not be.

    Attributes:
        source: the file.
        windows: float32 (N, L, T) model windows; None when `error` is set.
        fs_hz, duration_s: the file's rate (Hz) and length (s).
        notes: every adjustment made while reading and preprocessing.
        error: why the file was skipped ("" when it was not).
    """

    source: SourceFile
    windows: npt.NDArray[np.float32] | None
    fs_hz: float | None = None
    duration_s: float | None = None
    notes: tuple[str, ...] = ()
    error: str = ""


def prepare(source: SourceFile, config: PreprocessConfig) -> Prepared:
    """Read and preprocess one file; never raises for a bad file (the reason is returned)."""
    from mets_core.io.load import load_record

    try:
        record = load_record(source.path)
        prepared = preprocess_for_model(record, config)
    # An archive run must list a broken file and go on, whatever the reader raised (a truncated
    # .dat can make wfdb raise ValueError, a bad zip OSError): the reason is kept with its type.
    except Exception as error:
        return Prepared(source, None, error=f"{type(error).__name__}: {error}")
    notes = tuple(record.notes) + prepared.notes
    return Prepared(source, prepared.windows, record.fs_hz, record.duration_s, notes)


@torch.inference_mode()
def encode_windows(
    model: LoadedModel, windows: list[npt.NDArray[np.float32]]
) -> npt.NDArray[np.float32]:
    """Records' (N_i, L, T) windows -> (R, D) unit-norm float32 embeddings, one per record."""
    if not windows:
        return np.zeros((0, model.config.embedding_dim), dtype=np.float32)
    stacked = np.concatenate(windows).astype(np.float32, copy=False)
    outputs = []
    for start in range(0, len(stacked), ENCODE_BATCH):
        chunk = stacked[start : start + ENCODE_BATCH]
        batch = np.zeros((ENCODE_BATCH, *stacked.shape[1:]), dtype=np.float32)
        batch[: len(chunk)] = chunk
        encoded = model.module.encode_ecg(torch.from_numpy(batch).to(model.device))
        outputs.append(encoded[: len(chunk)].float().cpu())
    per_window = torch.cat(outputs)
    bounds = np.cumsum([0, *(len(w) for w in windows)])
    means = torch.stack(
        [per_window[a:b].mean(dim=0) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    )
    return F.normalize(means, dim=-1).numpy()


def row_of(prepared: Prepared, weights_sha256: str, preprocess_hash: str) -> dict:
    """The index columns of a prepared record (all but the embedding)."""
    source = prepared.source
    return {
        "record_id": source.record_id,
        "source_path": source.source_path,
        "root": source.root,
        "weights_sha256": weights_sha256,
        "preprocess_hash": preprocess_hash,
        "labels": [],
        **source.meta,
        "fs_hz": prepared.fs_hz,
        "duration_s": prepared.duration_s,
        "notes": list(prepared.notes),
    }
