"""MIT-BIH Arrhythmia Database beats for evaluation: N, LBBB (L), RBBB (R), A (APB), V (PVC).

Window (fixed before any result was seen, never tuned): each sampled beat is the centre of a
`BEAT_WINDOW_S` = 5 s stretch, 2.5 s either side of its reference annotation. Why 5 s: the model
is pretrained on 10 s PTB-XL records with random crops that keep 5-10 s and zero the rest, so 5 s
is the shortest stretch inside the training distribution, while a full 10 s would hold about
twelve beats, often of other classes. `preprocess_for_model` then does what it does for every
input: resample 360 -> 100 Hz, clean, place leads by name (MLII as II, V1, V2, V4, V5; the other
ten leads are zero rows, as in training's lead dropout) and zero-pad to the 10 s model window.

Eligible beats: reference annotations (`.atr`, read with `wfdb.rdann`) with a symbol in
`MITBIH_CLASSES`, whose whole window lies inside the record, from every record except the four
paced ones (102, 104, 107, 217; AAMI EC57 practice). Evaluation only: nothing here trains.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import wfdb

from mets_core.config import PreprocessConfig
from mets_core.errors import DataError
from mets_core.leads import normalize_lead_name
from mets_core.record import ECGRecord
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot.prompts import MITBIH_CLASSES

__all__ = [
    "BEAT_WINDOW_S",
    "MITBIH_CLASSES",
    "PACED_RECORDS",
    "BeatRef",
    "BeatSample",
    "beat_pools",
    "beat_windows",
    "draw_beats",
    "list_records",
    "read_beat_record",
    "read_beats",
    "sample_beats",
]

BEAT_WINDOW_S = 5.0  # s, centred on the annotated beat (see module docstring)
PACED_RECORDS: tuple[str, ...] = ("102", "104", "107", "217")


@dataclass(frozen=True)
class BeatRef:
    """One annotated beat: record name, annotation sample (at the record's 360 Hz) and symbol."""

    record: str
    sample: int
    symbol: str

    @property
    def beat_id(self) -> str:
        return f"{self.record}:{self.sample}"


@dataclass(frozen=True)
class BeatSample:
    """Sampled beats (grouped by class, `MITBIH_CLASSES` order) and how many were eligible."""

    beats: list[BeatRef]
    available: dict[str, int]
    seed: int
    window_s: float


def list_records(root: Path) -> list[str]:
    """Record names from the database's RECORDS file.

    Raises:
        DataError: when RECORDS is missing (not an MIT-BIH folder).
    """
    path = Path(root) / "RECORDS"
    if not path.is_file():
        raise DataError(f"Expected the MIT-BIH record list {path}; it is missing.")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def read_beats(
    root: Path, record: str, window_s: float = BEAT_WINDOW_S, classes=MITBIH_CLASSES
) -> list[BeatRef]:
    """Beats of one record with a symbol in `classes` whose centred window fits in the record."""
    path = str(Path(root) / record)
    try:
        header = wfdb.rdheader(path)
        annotation = wfdb.rdann(path, "atr")
    except (OSError, ValueError) as error:
        raise DataError(f"Cannot read MIT-BIH record {record} under {root}: {error}") from error
    half = int(round(window_s * header.fs / 2))
    return [
        BeatRef(record, int(sample), str(symbol))
        for sample, symbol in zip(annotation.sample, annotation.symbol, strict=True)
        if symbol in classes and half <= sample <= header.sig_len - half
    ]


def beat_pools(root: Path, window_s: float = BEAT_WINDOW_S) -> dict[str, list[BeatRef]]:
    """Every eligible beat per class, from all non-paced records in name order."""
    pools: dict[str, list[BeatRef]] = {c: [] for c in MITBIH_CLASSES}
    for record in sorted(r for r in list_records(root) if r not in PACED_RECORDS):
        for beat in read_beats(root, record, window_s):
            pools[beat.symbol].append(beat)
    return pools


def draw_beats(
    pools: dict[str, list[BeatRef]], per_class: int, seed: int, window_s: float = BEAT_WINDOW_S
) -> BeatSample:
    """Up to `per_class` beats per class without replacement (numpy default_rng(seed))."""
    rng = np.random.default_rng(seed)
    beats = []
    for symbol in MITBIH_CLASSES:
        pool = pools.get(symbol, [])
        picks = rng.choice(len(pool), min(per_class, len(pool)), replace=False)
        beats += [pool[i] for i in sorted(picks)]
    return BeatSample(beats, {c: len(pools.get(c, [])) for c in MITBIH_CLASSES}, seed, window_s)


def sample_beats(
    root: Path, per_class: int = 100, seed: int = 0, window_s: float = BEAT_WINDOW_S
) -> BeatSample:
    """Draw up to `per_class` beats per class, without replacement, from all non-paced records.

    Args:
        root: the MIT-BIH folder (RECORDS, <name>.hea/.dat/.atr).
        per_class: beats per class (METS: 100).
        seed: numpy seed; the same seed and data give the same beats.
        window_s: window length in s, used to keep only beats whose window fits.

    Returns:
        BeatSample; `available` says how many beats of each class were eligible.
    """
    return draw_beats(beat_pools(root, window_s), per_class, seed, window_s)


def read_beat_record(root: Path, beat: BeatRef, window_s: float = BEAT_WINDOW_S) -> ECGRecord:
    """The `window_s` stretch centred on `beat`, leads named by standard name (MLII -> II).

    Raises:
        DataError: unreadable record, or a lead label that is no standard lead.
    """
    path = str(Path(root) / beat.record)
    fs_hz = wfdb.rdheader(path).fs
    half = int(round(window_s * fs_hz / 2))
    signal, fields = wfdb.rdsamp(path, sampfrom=beat.sample - half, sampto=beat.sample + half)
    names = tuple(normalize_lead_name(n) for n in fields["sig_name"])
    if None in names:
        raise DataError(f"MIT-BIH record {beat.record} has unknown leads {fields['sig_name']}.")
    return ECGRecord(
        np.ascontiguousarray(signal.T, dtype=np.float32),  # (T, L) -> (L, T), mV
        float(fields["fs"]),
        names,  # type: ignore[arg-type]
        source=f"MIT-BIH {beat.beat_id} ({beat.symbol})",
    )


def beat_windows(
    root: Path, beats: list[BeatRef], config: PreprocessConfig, window_s: float = BEAT_WINDOW_S
) -> npt.NDArray[np.float32]:
    """Model input for each beat: (N, L, T) via `preprocess_for_model` (one window per beat).

    Raises:
        DataError: when `window_s` is outside [config.min_duration_s, config.window_s].
    """
    if not config.min_duration_s <= window_s <= config.window_s:
        raise DataError(
            f"The beat window must be {config.min_duration_s:g}-{config.window_s:g} s for this "
            f"model; {window_s:g} s was asked for."
        )
    out = np.empty((len(beats), len(config.lead_names), config.window_samples), np.float32)
    for i, beat in enumerate(beats):
        out[i] = preprocess_for_model(read_beat_record(root, beat, window_s), config).windows[0]
    return out
