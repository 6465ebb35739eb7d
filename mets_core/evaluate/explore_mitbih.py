"""Per-beat zero-shot predictions over sampled MIT-BIH beats, for the app's explore page.

The table has the same format as `mets_core.evaluate.explore` (so `compute_metrics` and the
page's failure
walk-through work unchanged): one row per beat with `ecg_id` (the beat id "record:sample", sample
at the record's 360 Hz), `true` (the annotated beat class: N, L, R, A or V), `predicted`,
`correct`, `report` (where the beat lies and its annotation) and one `p_<code>` column per class.
Each beat is ranked on the 5 s window centred on it (see `mets_core.data.mitbih`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import wfdb

from mets_core.data import mitbih
from mets_core.errors import DataError
from mets_core.evaluate.explore import OpenedRecord, ProgressCallback
from mets_core.model.load import LoadedModel
from mets_core.record import ECGRecord
from mets_core.zeroshot.labels import task_labels
from mets_core.zeroshot.prompts import MITBIH_CLASSES, MITBIH_TASK
from mets_core.zeroshot.rank import rank

DEFAULT_BEATS_PER_CLASS = 20  # 100 beats in all: a few minutes on a CPU


def beat_prompts() -> dict[str, str]:
    """Beat class code -> candidate text, in `MITBIH_CLASSES` order (e.g. "V" -> "premature...")."""
    wording = task_labels()[MITBIH_TASK]
    return {code: wording[code] for code in MITBIH_CLASSES}


def describe_beat(beat: mitbih.BeatRef, fs_hz: float = 360.0) -> str:
    """A one-line description of where a beat lies, e.g. "record 119 at 34.3 s, annotated A"."""
    return f"MIT-BIH record {beat.record} at {beat.sample / fs_hz:.1f} s, annotated {beat.symbol}"


def predict_mitbih_beats(
    model: LoadedModel,
    root: Path,
    beats_per_class: int = DEFAULT_BEATS_PER_CLASS,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Rank the five beat classes for up to `beats_per_class` sampled beats of each class.

    Args:
        model: a loaded METS model.
        root: the MIT-BIH Arrhythmia Database folder (RECORDS, <name>.hea/.dat/.atr).
        beats_per_class: beats drawn per class (without replacement, paced records excluded).
        seed: numpy seed of the draw; the same seed and data give the same beats.
        progress: called after each beat with (done, total).

    Returns:
        The predictions table described in the module docstring, grouped by class.

    Raises:
        DataError: a missing or malformed folder, or no eligible beat at all.
    """
    texts = beat_prompts()
    code_of = {text: code for code, text in texts.items()}
    sample = mitbih.sample_beats(Path(root), max(1, int(beats_per_class)), seed)
    if not sample.beats:
        raise DataError(f"{root} holds no annotated N, L, R, A or V beat to evaluate.")
    table = []
    for done, beat in enumerate(sample.beats, start=1):
        record = mitbih.read_beat_record(Path(root), beat)
        ranking = rank(model, record, list(texts.values()))
        by_code = {code_of[r.candidate]: r.probability for r in ranking}
        predicted = code_of[ranking[0].candidate]
        table.append(
            {
                "ecg_id": beat.beat_id,
                "true": beat.symbol,
                "predicted": predicted,
                "correct": predicted == beat.symbol,
                **{f"p_{code}": by_code[code] for code in texts},
                "report": describe_beat(beat, record.fs_hz),
            }
        )
        if progress is not None:
            progress(done, len(sample.beats))
    return pd.DataFrame(table)


def beat_from_id(root: Path, beat_id: str) -> mitbih.BeatRef:
    """The annotated beat behind a beat id "record:sample" (its class read from the .atr file).

    Raises:
        DataError: a malformed id, an unreadable record, or no annotation at that sample.
    """
    record, _, sample_text = str(beat_id).partition(":")
    if not record or not sample_text.isdigit():
        raise DataError(f"Expected a beat id like '119:12345' (record:sample); got {beat_id!r}.")
    sample = int(sample_text)
    try:
        annotation = wfdb.rdann(str(Path(root) / record), "atr")
    except (OSError, ValueError) as error:
        raise DataError(f"Cannot read MIT-BIH record {record} under {root}: {error}") from error
    for at, symbol in zip(annotation.sample, annotation.symbol, strict=True):
        if int(at) == sample:
            return mitbih.BeatRef(record, sample, str(symbol))
    raise DataError(f"MIT-BIH record {record} has no beat annotated at sample {sample}.")


def read_beat_by_id(root: Path, beat_id: str) -> tuple[ECGRecord, mitbih.BeatRef]:
    """The 5 s window centred on beat `beat_id` as an ECGRecord (MLII as II), and the beat.

    Raises:
        DataError: see `beat_from_id`, or a beat too close to the record's edge.
    """
    beat = beat_from_id(Path(root), beat_id)
    header = wfdb.rdheader(str(Path(root) / beat.record))
    half = int(round(mitbih.BEAT_WINDOW_S * header.fs / 2))
    if not half <= beat.sample <= header.sig_len - half:
        raise DataError(
            f"Beat {beat_id} lies within {mitbih.BEAT_WINDOW_S / 2:g} s of the record's edge; "
            f"it has no full {mitbih.BEAT_WINDOW_S:g} s window."
        )
    return mitbih.read_beat_record(Path(root), beat), beat


def open_beat(root: Path, beat_id: str) -> OpenedRecord:
    """Reopen beat `beat_id` as its 5 s window, with the annotated beat class as the reference.

    Raises:
        DataError: see `read_beat_by_id`.
    """
    record, beat = read_beat_by_id(Path(root), beat_id)
    texts = beat_prompts()
    reference = f"beat class: {beat.symbol} ({texts.get(beat.symbol, 'not one of N, L, R, A, V')})"
    label = f"MIT-BIH beat {beat.beat_id} ({mitbih.BEAT_WINDOW_S:g} s window centred on it)"
    half = int(round(mitbih.BEAT_WINDOW_S * record.fs_hz / 2))  # as `read_beat_record` cuts
    return OpenedRecord(
        record,
        label,
        f"{reference}; {describe_beat(beat, record.fs_hz)}",
        tuple(texts.values()),
        beat_s=half / record.fs_hz,
        beat_label=f"annotated beat: {beat.symbol}",
    )
