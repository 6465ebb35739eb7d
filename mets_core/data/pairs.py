"""ECG/report pairs as arrays, PTB-XL signal caching and label matrices (training and evaluation).

Signals go through the same `preprocess_for_model` as the app. Reports are turned into the
pretraining prompt, and each distinct prompt is run through the frozen LM once (see train/loop.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from mets_core.config import METSConfig, PreprocessConfig
from mets_core.data.ptbxl import PTBXLRow, read_ptbxl_signal
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.data.reports import fill_template, report_for_record
from mets_core.signal.preprocess import preprocess_for_model


@dataclass(frozen=True)
class TrainingPairs:
    """N ECGs and their report prompts.

    Attributes:
        ecg_ids: (N,) record ids (PTB-XL ecg_id; synthetic: 0..N-1).
        signals: float32 (N, L, T) preprocessed model windows.
        texts: U distinct prompt texts.
        text_index: (N,) int64, row i's prompt is texts[text_index[i]].
        variant_index: (N, K) int64 or None: row i's K report renderings (`--phrasings K`),
            texts[variant_index[i, k]]; column 0 equals text_index. Training draws one per epoch.
    """

    ecg_ids: npt.NDArray[np.int64]
    signals: npt.NDArray[np.float32]
    texts: list[str]
    text_index: npt.NDArray[np.int64]
    variant_index: npt.NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self.ecg_ids)


def pair_texts(prompts: list[str]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Deduplicate prompts: (distinct texts, index of each input prompt into them)."""
    texts = list(dict.fromkeys(prompts))
    lookup = {text: i for i, text in enumerate(texts)}
    return texts, np.array([lookup[p] for p in prompts], dtype=np.int64)


def preprocess_rows(
    root: Path, rows: list[PTBXLRow], config: PreprocessConfig, progress: bool = True
) -> npt.NDArray[np.float32]:
    """Read and preprocess PTB-XL records: (N, L, T), first model window of each (10 s records)."""
    fs_hz = 100 if config.fs_hz <= 100 else 500
    signals = np.empty((len(rows), len(config.lead_names), config.window_samples), np.float32)
    for i, row in enumerate(tqdm(rows, desc=f"reading PTB-XL {fs_hz} Hz", disable=not progress)):
        signals[i] = preprocess_for_model(read_ptbxl_signal(root, row, fs_hz), config).windows[0]
    return signals


def build_pairs(
    rows: list[PTBXLRow], signals: npt.NDArray[np.float32], reports: list[str], template: str
) -> TrainingPairs:
    """Assemble pairs; raises ValueError if ids, signals and reports disagree in length."""
    if not len(rows) == len(signals) == len(reports):
        raise ValueError(f"{len(rows)} rows, {len(signals)} signals, {len(reports)} reports")
    texts, text_index = pair_texts([fill_template(template, r) for r in reports])
    ids = np.array([row.ecg_id for row in rows], dtype=np.int64)
    return TrainingPairs(ids, signals, texts, text_index)


def build_pairs_with_variants(
    rows: list[PTBXLRow],
    signals: npt.NDArray[np.float32],
    variants: list[list[str]],
    template: str,
) -> TrainingPairs:
    """Pairs whose reports come in K renderings each (`variants[i][0]` is the report itself).

    Raises:
        ValueError: if ids, signals and variants disagree in length or rows differ in K.
    """
    if not len(rows) == len(signals) == len(variants):
        raise ValueError(f"{len(rows)} rows, {len(signals)} signals, {len(variants)} variants")
    if len({len(v) for v in variants}) > 1:
        raise ValueError("every record needs the same number of report variants")
    prompts = [fill_template(template, r) for v in variants for r in v]
    texts, flat = pair_texts(prompts)
    variant_index = flat.reshape(len(rows), -1) if rows else np.zeros((0, 1), np.int64)
    ids = np.array([row.ecg_id for row in rows], dtype=np.int64)
    return TrainingPairs(ids, signals, texts, variant_index[:, 0].copy(), variant_index)


def with_variants(pairs: TrainingPairs, variants: list[list[str]]) -> TrainingPairs:
    """The same pairs with K final prompt texts per row (`variants[i][0]` should be row i's own).

    Raises:
        ValueError: if there is not one variant list per row or rows differ in K.
    """
    if len(variants) != len(pairs) or len({len(v) for v in variants}) > 1:
        raise ValueError(f"{len(variants)} variant lists of unequal length for {len(pairs)} rows")
    texts, flat = pair_texts([text for v in variants for text in v])
    variant_index = flat.reshape(len(pairs), -1)
    return replace(
        pairs, texts=texts, text_index=variant_index[:, 0].copy(), variant_index=variant_index
    )


def add_texts(pairs: TrainingPairs, extra: list[str]) -> tuple[TrainingPairs, np.ndarray]:
    """Append texts that no record is paired with (e.g. non-ECG negatives' texts).

    Returns:
        (pairs with `texts` extended by the new distinct ones, index of each `extra` in them).
    """
    texts = list(pairs.texts)
    lookup = {text: i for i, text in enumerate(texts)}
    for text in extra:
        if text not in lookup:
            lookup[text] = len(texts)
            texts.append(text)
    index = np.array([lookup[t] for t in extra], dtype=np.int64)
    return replace(pairs, texts=texts), index


_SYNTHETIC_REPORTS = (
    "sinus rhythm. normal ECG.",
    "atrial fibrillation.",
    "sinus tachycardia.",
    "sinus bradycardia.",
)


def synthetic_pairs(n: int, config: PreprocessConfig, seed: int = 0) -> TrainingPairs:
    """Tiny learnable toy data for smoke tests: the report names the rhythm's rate band."""
    rng = np.random.default_rng(seed)
    t = np.arange(config.window_samples) / config.fs_hz
    kinds = rng.integers(0, len(_SYNTHETIC_REPORTS), n)
    rate_hz = np.array([1.2, 1.6, 2.2, 0.8])[kinds] + rng.normal(0, 0.05, n)
    wave = np.sin(2 * np.pi * rate_hz[:, None] * t[None]) ** 15  # spiky periodic "beats"
    signals = wave[:, None, :] * rng.uniform(0.5, 1.5, (n, len(config.lead_names), 1))
    signals += rng.normal(0, 0.05, signals.shape)
    texts, text_index = pair_texts([_SYNTHETIC_REPORTS[k] for k in kinds])
    return TrainingPairs(np.arange(n), signals.astype(np.float32), texts, text_index)


def rows_with_reports(rows: list[PTBXLRow], source: str, statements) -> tuple[list, list[str]]:
    """Keep rows that have a report for `source`; return (rows, English report texts)."""
    kept, reports = [], []
    for row in rows:
        report = report_for_record(row, source, statements)
        if report:
            kept.append(row)
            reports.append(report)
    return kept, reports


def cached_signals(
    root: Path, rows: list[PTBXLRow], config: METSConfig, cache_dir: str | None
) -> np.ndarray:
    """Preprocessed signals, cached as .npy keyed by ids + preprocessing config when asked."""
    if not cache_dir:
        return preprocess_rows(root, rows, config.preprocess)
    key = hashlib.sha256(repr((config.preprocess, [r.ecg_id for r in rows])).encode()).hexdigest()
    path = Path(cache_dir) / f"ptbxl_{key[:16]}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    signals = preprocess_rows(root, rows, config.preprocess)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, signals, allow_pickle=False)
    return signals


def label_matrix(rows: list[PTBXLRow], task: str) -> np.ndarray:
    """(N, C) bool multi-hot labels of `task` in TASK_CLASSES order."""
    classes = TASK_CLASSES[task]
    return np.array([[c in row.labels.get(task, ()) for c in classes] for row in rows], bool)
