"""Reading a learner's answer as class codes, and scoring it against the reference labels.

A learner answers with picks from the task's class names and/or free text. Free text is split
into statements (at new lines, ".", ";" and ","); each statement is read as one class:

1. **exact wording**: it equals (ignoring case and spaces) a class code, its plain name, one
   of its wordings in the prompt sets `READING_PROMPT_SETS` ("atrial fibrillation",
   "complete left bundle branch block" -> CD for the superclass task) or a clinician's
   abbreviation of it (`data.phrasings.PHRASINGS`: "AF", "afib", "LBBB" where the task has
   that class);
2. **closest wording**: otherwise, the class whose wordings are nearest in the frozen language
   model's sentence space (`zeroshot.vocabulary`, the known-words machinery), accepted when the
   cosine reaches both the weights' known-words threshold (fold 9, `mets select`) and
   `MIN_READ_COSINE`, and beats every other class by `MIN_READ_MARGIN`;
3. **not read**: otherwise, or with weights that carry no known-words threshold. The learner
   is told, and picks from the list.

The two fixed limits were set by reading a few dozen typed phrases against the shipped weights
("ST depression" -> ST/T change at 0.50; "left ventricular hypertrophy" is 0.59 from
"ventricular bigeminy" but only 0.03 ahead of trigeminy in the rhythm task), not fitted: the
known-words threshold alone (0.285) reads "banana" as a normal ECG.

The learner sees what each statement was read as. Scoring is the same rule for learner and
model: the learner is right when at least one class was named and every class named is among
the reference classes; the model is right when its top-ranked class is among them (the Explore
page's "top-1 in reference labels").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mets_core.data.phrasings import PHRASINGS
from mets_core.model.load import LoadedModel
from mets_core.zeroshot.labels import task_labels
from mets_core.zeroshot.prompts import load_prompt_set
from mets_core.zeroshot.vocabulary import phrase_similarities

READING_PROMPT_SETS = ("plain", "clinician_ensemble")  # wordings a statement may match
MIN_READ_COSINE = 0.5  # a closest wording is accepted from this frozen-LM cosine on ...
MIN_READ_MARGIN = 0.1  # ... and when no other class comes this close to it
SCORING_RULE = (
    "You are right when you named at least one class and every class you named is a reference "
    "class; the model is right when its top-ranked class is a reference class."
)
PICKED, EXACT, CLOSEST, NOT_READ = "picked", "exact wording", "closest wording", "not read"
_STATEMENT_SPLIT = re.compile(r"[\n.;,]+")
# (texts, phrases) -> for each text the index of its closest phrase and the cosine: (N,), (N,)
Similarity = Callable[[list[str], list[str]], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class WordMatcher:
    """Nearest-wording search for free text: a sentence similarity and its acceptance threshold."""

    similarity: Similarity
    threshold: float  # cosine at or above which a statement is read as the nearest class


@dataclass(frozen=True)
class ReadStatement:
    """One part of the learner's answer and what it was read as.

    Attributes:
        text: the pick or statement as the learner gave it.
        code: the class code it was read as, or None (not read).
        how: `PICKED`, `EXACT`, `CLOSEST` or `NOT_READ`.
        wording: the class wording it matched (for CLOSEST: the nearest one), or None.
        similarity: the cosine of a CLOSEST (or rejected) match, else None.
    """

    text: str
    code: str | None
    how: str
    wording: str | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class LearnerReading:
    """The learner's answer, statement by statement, and the class codes it was read as."""

    statements: tuple[ReadStatement, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """Distinct class codes read, in the order given."""
        return tuple(dict.fromkeys(s.code for s in self.statements if s.code is not None))

    @property
    def unread(self) -> tuple[str, ...]:
        """Statements that could not be read as any class."""
        return tuple(s.text for s in self.statements if s.code is None)


@dataclass(frozen=True)
class CaseScore:
    """Learner and model against the reference classes of one case (class codes)."""

    reference: tuple[str, ...]
    learner: tuple[str, ...]
    model_top: str

    @property
    def hits(self) -> tuple[str, ...]:
        """Classes the learner named that are in the reference."""
        return tuple(code for code in self.learner if code in self.reference)

    @property
    def wrong(self) -> tuple[str, ...]:
        """Classes the learner named that are not in the reference."""
        return tuple(code for code in self.learner if code not in self.reference)

    @property
    def missed(self) -> tuple[str, ...]:
        """Reference classes the learner did not name."""
        return tuple(code for code in self.reference if code not in self.learner)

    @property
    def learner_right(self) -> bool:
        """At least one class named, and every class named is a reference class."""
        return bool(self.learner) and not self.wrong

    @property
    def model_right(self) -> bool:
        """The model's top-ranked class is a reference class."""
        return self.model_top in self.reference


def class_wordings(task: str) -> dict[str, str]:
    """Every wording a statement may match exactly -> its class code, for one PTB-XL task.

    Keys are case-folded with single spaces: class codes, plain names, clinicians'
    abbreviations, and the wordings of the classes in `READING_PROMPT_SETS`. A wording that two
    classes share is dropped (ambiguous).
    """
    seen: dict[str, set[str]] = {}
    for code, name in task_labels()[task].items():
        for text in (code, name):
            seen.setdefault(_normalise(text), set()).add(code)
    for scp_code, abbreviations in PHRASINGS.items():
        if scp_code.strip("_") in task_labels()[task]:
            for text in abbreviations:
                seen.setdefault(_normalise(text), set()).add(scp_code.strip("_"))
    for prompt_set in READING_PROMPT_SETS:
        for code, wordings in load_prompt_set(prompt_set).labels.get(task, {}).items():
            for text in wordings:
                seen.setdefault(_normalise(text), set()).add(code)
    return {text: next(iter(codes)) for text, codes in seen.items() if len(codes) == 1}


def word_matcher(model: LoadedModel) -> WordMatcher | None:
    """The model's frozen-LM similarity with its known-words threshold; None without one."""
    threshold = (model.weights.selection.get("vocabulary") or {}).get("threshold")
    if threshold is None:
        return None
    return WordMatcher(
        lambda texts, phrases: phrase_similarities(model, texts, phrases), float(threshold)
    )


def split_statements(text: str) -> list[str]:
    """Free text -> statements (split at new lines, ".", ";", ","), blanks dropped."""
    return [" ".join(part.split()) for part in _STATEMENT_SPLIT.split(text) if part.strip()]


def read_answer(
    task: str, picks: Sequence[str], text: str, matcher: WordMatcher | None
) -> LearnerReading:
    """Read a learner's picks and free text as class codes of `task` (see the module docstring).

    Args:
        task: a PTB-XL task ("superclass", "subclass", "form", "rhythm").
        picks: class names picked from the task's list (`zeroshot.labels.class_names`).
        text: free text, any number of statements.
        matcher: nearest-wording search for statements without an exact match; None: exact only.

    Returns:
        Picks first, then the statements in the order written.
    """
    code_of_name = {name: code for code, name in task_labels()[task].items()}
    statements = [ReadStatement(pick, code_of_name.get(pick), PICKED) for pick in picks]
    exact = class_wordings(task)
    written = split_statements(text)
    unmatched = [s for s in written if _normalise(s) not in exact]
    closest = _closest_classes(task, unmatched, exact, matcher) if matcher and unmatched else {}
    for statement in written:
        key = _normalise(statement)
        if key in exact:
            statements.append(ReadStatement(statement, exact[key], EXACT, key))
        elif statement in closest:
            code, wording, cosine, accepted = closest[statement]
            how = CLOSEST if accepted else NOT_READ
            statements.append(
                ReadStatement(statement, code if accepted else None, how, wording, cosine)
            )
        else:
            statements.append(ReadStatement(statement, None, NOT_READ))
    return LearnerReading(tuple(statements))


def _closest_classes(
    task: str, statements: list[str], exact: dict[str, str], matcher: WordMatcher
) -> dict[str, tuple[str, str, float, bool]]:
    """statement -> (closest class, its closest wording, cosine, accepted?) in the LM's space.

    Class codes are left out as targets: a bare code ("HYP", "BIGU") sits near any short word.
    """
    codes = list(task_labels()[task])
    targets = {
        code: [w for w, c in exact.items() if c == code and w != _normalise(code)] for code in codes
    }
    codes = [code for code in codes if targets[code]]
    best = np.zeros((len(statements), len(codes)), dtype=np.float64)  # (N, C) cosines
    nearest: list[list[str]] = [[] for _ in statements]
    for column, code in enumerate(codes):
        index, cosine = matcher.similarity(statements, targets[code])
        best[:, column] = cosine
        for row, i in enumerate(index):
            nearest[row].append(targets[code][int(i)])
    floor = max(matcher.threshold, MIN_READ_COSINE)
    read = {}
    for row, statement in enumerate(statements):
        order = np.argsort(-best[row])
        first = int(order[0])
        margin = best[row, first] - (best[row, order[1]] if len(order) > 1 else -1.0)
        accepted = bool(best[row, first] >= floor and margin >= MIN_READ_MARGIN)
        read[statement] = (codes[first], nearest[row][first], float(best[row, first]), accepted)
    return read


def score_case(learner: Sequence[str], reference: Sequence[str], model_top: str) -> CaseScore:
    """Score one case: learner codes and the model's top code against the reference codes."""
    return CaseScore(tuple(reference), tuple(dict.fromkeys(learner)), model_top)


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())
