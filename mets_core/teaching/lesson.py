"""A teaching session: a deck of cases read one by one, each committed before it is revealed.

`Lesson` is an immutable value: `commit` and `advance` return a new one, so the app keeps the
current lesson in its session state and a rerun never half-applies a step. The learner commits
an answer (`assess_case`: read it, rank the task's classes with the model's default settings,
score both), sees the result, then moves on; `tally` counts right and wrong for both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from mets_core.errors import DataError, LabelInputError
from mets_core.model.load import LoadedModel
from mets_core.record import ECGRecord
from mets_core.teaching.deck import TeachingCase, build_deck
from mets_core.teaching.scoring import (
    CaseScore,
    LearnerReading,
    read_answer,
    score_case,
    word_matcher,
)
from mets_core.zeroshot.labels import class_names, task_labels
from mets_core.zeroshot.rank import Ranking, rank


@dataclass(frozen=True)
class CaseResult:
    """What happened on one case: the learner's reading, the model's ranking and both scores."""

    case: TeachingCase
    reading: LearnerReading
    ranking: Ranking  # the task's class names, best first (`rank` defaults)
    score: CaseScore


@dataclass(frozen=True)
class Tally:
    """Right and wrong over the committed cases of a lesson."""

    cases: int
    learner_right: int
    model_right: int
    both_right: int

    @property
    def learner_wrong(self) -> int:
        """Cases the learner got wrong."""
        return self.cases - self.learner_right

    @property
    def model_wrong(self) -> int:
        """Cases the model got wrong."""
        return self.cases - self.model_right


@dataclass(frozen=True)
class Lesson:
    """A deck of cases for one task and how far the learner got.

    Attributes:
        task: the PTB-XL task the learner answers in (its class names are the choices).
        seed: the seed the deck was drawn with.
        cases: the deck, in order.
        position: index of the case on show; `len(cases)` once the lesson is over.
        results: one per committed case, in deck order.
    """

    task: str
    seed: int
    cases: tuple[TeachingCase, ...]
    position: int = 0
    results: tuple[CaseResult, ...] = ()

    @property
    def finished(self) -> bool:
        """Every case was shown and committed."""
        return self.position >= len(self.cases)

    @property
    def current(self) -> TeachingCase | None:
        """The case on show, or None when the lesson is over."""
        return None if self.finished else self.cases[self.position]

    @property
    def committed(self) -> bool:
        """The case on show has an answer (its result is revealed)."""
        return len(self.results) > self.position

    @property
    def result(self) -> CaseResult | None:
        """The result of the case on show, once committed."""
        return self.results[self.position] if self.committed else None


def start_lesson(task: str, n_cases: int, seed: int, ptbxl_root: Path | None = None) -> Lesson:
    """A new lesson over a seeded deck (`deck.build_deck`; same arguments, same deck).

    Raises:
        DataError: see `build_deck`, or no case labelled for the task.
    """
    cases = build_deck(task, n_cases, seed, ptbxl_root)
    if not cases:
        raise DataError(f"No teaching case has a reference label for the {task} task.")
    return Lesson(task, seed, cases)


def assess_case(
    model: LoadedModel,
    record: ECGRecord,
    case: TeachingCase,
    task: str,
    picks: list[str],
    text: str,
) -> CaseResult:
    """Read the learner's answer, rank the task's classes for the ECG, and score both.

    Args:
        model: the loaded METS model (its frozen LM also reads free text).
        record: the case's ECG.
        case: the case, with its reference labels.
        task: the lesson's task.
        picks: class names the learner picked.
        text: the learner's free text.

    Raises:
        LabelInputError: nothing in the answer could be read as a class of the task (the
            message names what was not read). ECGInputError: an unreadable record.
    """
    reading = read_answer(task, picks, text, word_matcher(model))
    if not reading.codes:
        unread = "; ".join(f"“{s}”" for s in reading.unread)
        raise LabelInputError(
            "Commit a reading first: pick at least one class from the list"
            + (f" (none of {unread} could be read as a {task} class)." if unread else ".")
        )
    names = class_names(task)
    ranking = rank(model, record, names)
    code_of = {name: code for code, name in task_labels()[task].items()}
    reference = case.labels.get(task, ())
    return CaseResult(
        case, reading, ranking, score_case(reading.codes, reference, code_of[ranking[0].candidate])
    )


def commit(lesson: Lesson, result: CaseResult) -> Lesson:
    """The lesson with `result` recorded for the case on show (once per case).

    Raises:
        LabelInputError: the case was already committed, or the lesson is over.
    """
    if lesson.finished or lesson.committed:
        raise LabelInputError("This case already has your answer; go on to the next case.")
    return replace(lesson, results=(*lesson.results, result))


def advance(lesson: Lesson) -> Lesson:
    """The lesson moved on to the next case (after the case on show was committed).

    Raises:
        LabelInputError: the case on show has no answer yet.
    """
    if not lesson.committed:
        raise LabelInputError("Commit your reading of this case before going on.")
    return replace(lesson, position=lesson.position + 1)


def tally(results: tuple[CaseResult, ...]) -> Tally:
    """Count right answers of the learner and of the model over committed cases."""
    learner = [r.score.learner_right for r in results]
    model = [r.score.model_right for r in results]
    both = sum(a and b for a, b in zip(learner, model, strict=True))
    return Tally(len(results), sum(learner), sum(model), both)
