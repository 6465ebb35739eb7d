"""Per-record zero-shot predictions over a PTB-XL test split, and the metrics the app shows.

Used by the app's "Explore a dataset" page to walk through failures. The table format is also what
the page reads back from a `results/*.csv` file: one row per record with `ecg_id`, `true` (class
codes joined by ";"), `predicted` (one code), `correct`, `report`, and per class one `cos_<code>`
column (the cosine: what every AUROC is computed from) and one `p_<code>` column (the probability
`rank` shows). Tables without `cos_` columns fall back to `p_` for the AUROC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

from mets_core.data import ptbxl
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import DataError
from mets_core.evaluate.metrics import macro_auroc
from mets_core.model.load import LoadedModel
from mets_core.record import ECGRecord
from mets_core.zeroshot.labels import USER_WORDING_SET, task_labels
from mets_core.zeroshot.rank import rank

ProgressCallback = Callable[[int, int], None]  # (records done, records total)
METRIC_TEXT = (
    "Metric: one-vs-rest AUROC of each class's cosine over all records "
    "(`evaluate.metrics.macro_auroc`, as `mets evaluate` reports; the shown probabilities where "
    "a file has no cosines), macro = mean over classes with positive and negative records; "
    "top-1 = the top-ranked class is one of the record's reference classes; the confusion matrix "
    "counts single-label records."
)
REQUIRED_COLUMNS = ("ecg_id", "true", "predicted")


@dataclass(frozen=True)
class ExploreMetrics:
    """Summary of a predictions table.

    Attributes:
        class_codes: C class codes, in matrix order.
        confusion: (C, C) int counts, rows = reference class, columns = predicted class, over the
            records with exactly one reference class.
        n_single_label: how many records entered the confusion matrix.
        auroc: class code -> one-vs-rest AUROC over all records (absent when a class has no
            positive or no negative record).
        accuracy: share of records whose predicted class is one of their reference classes.
        macro_auroc: mean of `auroc` over the classes it has (`metrics.macro_auroc`, the function
            `mets evaluate` reports with); None when no class has one.
    """

    class_codes: tuple[str, ...]
    confusion: np.ndarray
    n_single_label: int
    auroc: dict[str, float]
    accuracy: float
    macro_auroc: float | None = None


@dataclass(frozen=True)
class OpenedRecord:
    """One dataset record reopened for the signal view.

    Attributes:
        record: the ECG (a PTB-XL record, or the 5 s window around an MIT-BIH beat).
        label: what the app calls it, e.g. "PTB-XL ecg_id 9 (test fold)".
        reference: the dataset's own label(s) and report, shown next to the ranking.
        candidates: the task's candidate texts, to rank the record against.
        beat_s: for an MIT-BIH beat, the time of the annotated beat in `record` (s); else None.
        beat_label: for an MIT-BIH beat, what to write at it, e.g. "annotated beat: V".
    """

    record: ECGRecord
    label: str
    reference: str
    candidates: tuple[str, ...]
    beat_s: float | None = None
    beat_label: str | None = None


def class_prompts(task: str) -> dict[str, str]:
    """Class code -> candidate text for a PTB-XL task (superclass, subclass, form, rhythm)."""
    if task not in TASK_CLASSES:
        raise DataError(f"Unknown task {task!r}; expected one of {', '.join(TASK_CLASSES)}.")
    wording = task_labels()[task]
    return {code: wording[code] for code in TASK_CLASSES[task]}  # keys match (test_zero_shot)


def predict_rows(
    model: LoadedModel,
    root: Path,
    rows: list[ptbxl.PTBXLRow],
    task: str,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Rank every class of `task` for each record with `rank`'s defaults (the table format above).

    The one path behind every per-record AUROC the project shows: the Explore page's live run
    and `mets select`'s fold-10 report both call it.
    """
    texts = class_prompts(task)
    code_of = {text: code for code, text in texts.items()}
    table = []
    for done, row in enumerate(rows, start=1):
        ranking = rank(model, ptbxl.read_ptbxl_signal(root, row), list(texts.values()))
        by_code = {code_of[r.candidate]: r for r in ranking}
        predicted = code_of[ranking[0].candidate]
        true = row.labels.get(task, ())
        table.append(
            {
                "ecg_id": row.ecg_id,
                "true": ";".join(true),
                "predicted": predicted,
                "correct": predicted in true,
                **{f"cos_{code}": by_code[code].cosine for code in texts},  # task class order
                **{f"p_{code}": by_code[code].probability for code in texts},
                "report": row.report or "",
            }
        )
        if progress is not None:
            progress(done, len(rows))
    return pd.DataFrame(table)


def predict_test_split(
    model: LoadedModel,
    root: Path,
    task: str,
    max_records: int,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Rank every class of `task` for the first `max_records` labelled records of the test split.

    Args:
        model: a loaded METS model.
        root: the PTB-XL folder.
        task: "superclass", "subclass", "form" or "rhythm".
        max_records: at most this many records (test split order, ascending ecg_id).
        progress: called after each record with (done, total).

    Returns:
        The predictions table described in the module docstring.

    Raises:
        DataError: a missing or malformed folder, or no labelled test records for the task.
    """
    class_prompts(task)  # refuses an unknown task before reading the folder
    index = ptbxl.load_ptbxl_index(Path(root))
    rows = [row for row in ptbxl.split_rows(index, "test") if row.labels.get(task)]
    rows = rows[: max(1, int(max_records))]
    if not rows:
        raise DataError(f"The test split (fold 10) of {root} has no records labelled for {task}.")
    return predict_rows(model, index.root, rows, task, progress)


def cosine_matrix(table: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """(N, C) cosines of a predictions table in `codes` order."""
    return table[[f"cos_{code}" for code in codes]].to_numpy(dtype=np.float32)


def probability_matrix(table: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """(N, C) shown probabilities of a predictions table in `codes` order."""
    return table[[f"p_{code}" for code in codes]].to_numpy(dtype=np.float64)


def open_ptbxl_record(root: Path, task: str, ecg_id: object) -> OpenedRecord:
    """Reopen PTB-XL record `ecg_id` with its `task` labels and report as the reference.

    Raises:
        DataError: a malformed folder, an id that is no number, or an unknown record.
    """
    try:
        number = int(str(ecg_id))
    except ValueError:
        raise DataError(f"Expected a PTB-XL ecg_id (a number); got {ecg_id!r}.") from None
    index = ptbxl.load_ptbxl_index(Path(root))
    row = index.row(number)
    record = ptbxl.read_ptbxl_signal(index.root, row)
    reference = f"{task}: {', '.join(row.labels[task]) or '-'}; report: {row.report or '-'}"
    label = f"PTB-XL ecg_id {row.ecg_id} (fold {row.strat_fold})"
    return OpenedRecord(record, label, reference, tuple(class_prompts(task).values()))


def read_predictions(path: Path) -> pd.DataFrame:
    """Read a predictions CSV (the format above) and add `correct` when it is missing.

    Raises:
        DataError: when the file cannot be read or lacks ecg_id / true / predicted columns.
    """
    try:
        table = pd.read_csv(path, comment="#")
    except (OSError, ValueError) as error:
        raise DataError(f"Could not read predictions from {path.name}: {error}") from error
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(
            f"{path.name} is not a per-record predictions table: it lacks the column(s) "
            f"{', '.join(missing)}; expected {', '.join(REQUIRED_COLUMNS)} and p_<class> columns."
        )
    table["true"] = table["true"].fillna("").astype(str)
    table["predicted"] = table["predicted"].astype(str)
    if "correct" not in table.columns:
        table["correct"] = [
            p in t.split(";") for p, t in zip(table["predicted"], table["true"], strict=True)
        ]
    return table


def compute_metrics(table: pd.DataFrame) -> ExploreMetrics:
    """Confusion matrix (single-label records), per-class AUROC and top-1 accuracy of a table."""
    true_sets = [set(filter(None, str(t).split(";"))) for t in table["true"]]
    prob_codes = [c[2:] for c in table.columns if c.startswith("p_")]
    codes = tuple(dict.fromkeys([*prob_codes, *sorted(set().union(*true_sets))]))
    single = [
        (next(iter(s)), p)
        for s, p in zip(true_sets, table["predicted"], strict=True)
        if len(s) == 1
    ]
    matrix = (
        confusion_matrix([t for t, _ in single], [p for _, p in single], labels=list(codes))
        if single
        else np.zeros((len(codes), len(codes)), dtype=int)
    )
    score_prefix = "cos_" if all(f"cos_{c}" in table.columns for c in prob_codes) else "p_"
    labels = np.array([[code in s for code in prob_codes] for s in true_sets], dtype=bool)
    scores = table[[f"{score_prefix}{code}" for code in prob_codes]].to_numpy(dtype=np.float64)
    summary = macro_auroc(labels.reshape(len(table), len(prob_codes)), scores, prob_codes)
    accuracy = float(np.mean([p in s for p, s in zip(table["predicted"], true_sets, strict=True)]))
    return ExploreMetrics(
        codes, matrix, len(single), summary["per_class"], accuracy, summary["macro_auroc"]
    )


def cell_records(table: pd.DataFrame, reference: str, predicted: str) -> pd.DataFrame:
    """The records behind one confusion-matrix cell: one reference class, ranked `predicted`.

    Only single-label records enter the matrix (`compute_metrics`), so only they are returned.
    """
    true = table["true"].astype(str)
    return table[(true == str(reference)) & (table["predicted"].astype(str) == str(predicted))]


def describe_live_run(template: str, task: str) -> str:
    """What a live run ranks and measures, in words (shown on the Explore page).

    Args:
        template: the prompt template `rank` used (the weights' served zero-shot template).
        task: the PTB-XL task or "mitbih".
    """
    return (
        f"Prompts: the plain class names of the {task} task (prompt set "
        f"“{USER_WORDING_SET}”, zeroshot/prompt_sets/{USER_WORDING_SET}.json) in the served "
        f"template “{template}”, ranked by `rank` with its defaults through "
        "`evaluate.explore.predict_rows`, the code path `mets select` writes "
        f"results/serving_<task>.csv with. {METRIC_TEXT}"
    )


def describe_predictions_file(path: Path) -> str:
    """Where a saved predictions table came from and what its scores are, in words."""
    name = Path(path).name
    if name.startswith("serving_"):
        origin = (
            "Written by `mets select` through `evaluate.explore.predict_rows` (plain class names, "
            "the served template), the same code path as a live run here."
        )
    elif name.startswith("predictions_"):
        origin = (
            "Written by `mets evaluate` for its first weights and the prompt set it chose on "
            "fold 9 (results/evaluation.json, runs[0].selection)."
        )
    else:
        origin = "A predictions table from results/."
    return f"{origin} {METRIC_TEXT}"
