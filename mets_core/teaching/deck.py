"""The teaching deck: which ECGs a learner reads, drawn with a seed, with their reference labels.

Cases come from the bundled PTB-XL examples (always there, so teaching works without any upload
or dataset) and, when a PTB-XL folder is given, from its test split (fold 10): records no model
of this project trained or chose on. Every case carries the dataset's own labels for each PTB-XL
task and its report; the learner is scored on one task's classes (`TEACHING_TASKS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mets_core.data import ptbxl
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import DataError
from mets_core.io.examples import list_examples, load_example
from mets_core.record import ECGRecord

TEACHING_TASKS = ("superclass", "rhythm", "subclass", "form")  # first: the default
DEFAULT_CASES = 5
MAX_CASES = 30
BUNDLED = "bundled example"
PTBXL_TEST = "PTB-XL fold 10"

# PTB-XL labels of the bundled examples (ecg_id -> task -> classes), as `ptbxl.load_ptbxl_index`
# derives them from the full release (tests/test_teaching.py checks them against
# ../shared/data/ptb-xl when present). Kept here so teaching works without the dataset.
_EXAMPLE_LABELS: dict[int, dict[str, tuple[str, ...]]] = {
    417: {"superclass": ("NORM",), "subclass": ("NORM",), "form": (), "rhythm": ("SR",)},
    318: {
        "superclass": ("STTC",),
        "subclass": ("STTC",),
        "form": ("DIG", "STD", "NDT"),
        "rhythm": ("AFIB",),
    },
    180: {"superclass": ("CD",), "subclass": ("CLBBB",), "form": (), "rhythm": ("SR",)},
    526: {"superclass": ("MI",), "subclass": ("AMI",), "form": (), "rhythm": ("SR",)},
    534: {"superclass": ("HYP", "STTC"), "subclass": ("LVH", "ISC"), "form": (), "rhythm": ()},
    1158: {
        "superclass": ("NORM",),
        "subclass": ("NORM",),
        "form": ("PAC", "NT"),
        "rhythm": ("STACH",),
    },
}


@dataclass(frozen=True)
class TeachingCase:
    """One ECG of the deck.

    Attributes:
        case_id: stable id, e.g. "ptbxl:417".
        source: `BUNDLED` or `PTBXL_TEST`.
        title: what it is, shown only after the learner committed (it may name the diagnosis).
        labels: task -> the dataset's reference class codes (an empty tuple: none for that task).
        report: the dataset's report text, an English reading of it for bundled examples; "" if
            the dataset has none.
        example_key: the bundled example to load (`io.examples`), or None for a dataset record.
    """

    case_id: str
    source: str
    title: str
    labels: Mapping[str, tuple[str, ...]]
    report: str
    example_key: str | None = None

    @property
    def ecg_id(self) -> int:
        """The PTB-XL ecg_id."""
        return int(self.case_id.partition(":")[2])


def bundled_cases() -> list[TeachingCase]:
    """The bundled PTB-XL examples as teaching cases (the MIT-BIH excerpt has no PTB-XL labels)."""
    cases = []
    for info in list_examples():
        ecg_id = _ptbxl_id(info.path.name)
        if ecg_id is None or ecg_id not in _EXAMPLE_LABELS:
            continue
        cases.append(
            TeachingCase(
                f"ptbxl:{ecg_id}",
                BUNDLED,
                info.title,
                _EXAMPLE_LABELS[ecg_id],
                info.diagnosis_reference,
                info.key,
            )
        )
    return cases


def dataset_cases(root: Path) -> list[TeachingCase]:
    """Every labelled record of the PTB-XL test split (fold 10) under `root` as a teaching case.

    Raises:
        DataError: a missing or malformed PTB-XL folder.
    """
    index = ptbxl.load_ptbxl_index(Path(root))
    return [
        TeachingCase(
            f"ptbxl:{row.ecg_id}",
            PTBXL_TEST,
            f"PTB-XL ecg_id {row.ecg_id} (fold {row.strat_fold})",
            dict(row.labels),
            row.report or "",
        )
        for row in ptbxl.split_rows(index, "test")
        if any(row.labels.values())
    ]


def build_deck(
    task: str, n_cases: int, seed: int, ptbxl_root: Path | None = None
) -> tuple[TeachingCase, ...]:
    """Draw `n_cases` cases labelled for `task`, spread over its classes, reproducibly.

    Classes take turns in a seeded order; each turn draws an unused case of that class, so a
    deck of five superclass cases is not five normal ECGs although most fold-10 records are
    normal. A bundled example and the same dataset record count once (the bundled copy is kept:
    it may be at 500 Hz and has an English report).

    Args:
        task: one of `TEACHING_TASKS`.
        n_cases: 1 to `MAX_CASES`; fewer come back when fewer cases have labels for the task.
        seed: numpy seed; the same seed, task and data give the same deck.
        ptbxl_root: a PTB-XL folder whose fold 10 joins the bundled examples, or None.

    Returns:
        The cases in the order the learner sees them.

    Raises:
        DataError: an unknown task, a count out of range, or an unreadable PTB-XL folder.
    """
    if task not in TEACHING_TASKS:
        raise DataError(f"Unknown task {task!r}; expected one of {', '.join(TEACHING_TASKS)}.")
    if not 1 <= n_cases <= MAX_CASES:
        raise DataError(f"A teaching session has 1 to {MAX_CASES} cases; got {n_cases}.")
    pool: dict[str, TeachingCase] = {case.case_id: case for case in bundled_cases()}
    for case in dataset_cases(ptbxl_root) if ptbxl_root is not None else []:
        pool.setdefault(case.case_id, case)
    labelled = [case for case in pool.values() if case.labels.get(task)]
    rng = np.random.default_rng(seed)
    by_class = {
        code: [case for case in labelled if code in case.labels[task]]
        for code in TASK_CLASSES[task]
    }
    for cases in by_class.values():
        rng.shuffle(cases)
    turns = [code for code in TASK_CLASSES[task] if by_class[code]]
    rng.shuffle(turns)
    drawable = {case.case_id for cases in by_class.values() for case in cases}
    deck: list[TeachingCase] = []
    used: set[str] = set()
    while len(deck) < min(n_cases, len(drawable)):
        for code in turns:
            unused = [case for case in by_class[code] if case.case_id not in used]
            if unused and len(deck) < n_cases:
                deck.append(unused[0])
                used.add(unused[0].case_id)
    return tuple(deck)


def load_case_record(case: TeachingCase, ptbxl_root: Path | None = None) -> ECGRecord:
    """The ECG of a case: the bundled file, or the 100 Hz record from the PTB-XL folder.

    Raises:
        DataError: a dataset case without its folder, or an unreadable record.
    """
    if case.example_key is not None:
        return load_example(case.example_key)
    if ptbxl_root is None:
        raise DataError(f"{case.title} needs the PTB-XL folder it was drawn from.")
    index = ptbxl.load_ptbxl_index(Path(ptbxl_root))
    return ptbxl.read_ptbxl_signal(index.root, index.row(case.ecg_id))


def _ptbxl_id(file_name: str) -> int | None:
    """ "00417_hr" -> 417; None for a name that is no PTB-XL record file."""
    number, _, rate = file_name.partition("_")
    return int(number) if number.isdigit() and rate in ("hr", "lr") else None
