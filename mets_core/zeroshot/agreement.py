"""Does the model's top answer agree with a record's reference label? Said plainly, either way.

Bundled examples and PTB-XL records carry the dataset's own label and report (the reference).
A candidate counts as named in the reference when its words appear there as a whole phrase,
ignoring case and punctuation ("left bundle branch block" is named in "CLBBB 100 (complete left
bundle branch block)"). PTB-XL class codes in the reference ("rhythm: AFIB") count as their plain
class names (`zeroshot.labels`, the names a user types). The rule is deliberately literal: it
never guesses synonyms, so when no candidate is named the answer is "cannot compare", not a
verdict; a phrase the report negates ("no atrial fibrillation") would still count as named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from mets_core.zeroshot.labels import task_labels
from mets_core.zeroshot.rank import Ranking

_CODED_TASKS = ("superclass", "subclass", "form", "rhythm")  # MIT-BIH's one-letter codes: too terse


class Agreement(StrEnum):
    """How the top answer relates to the reference label."""

    AGREES = "agrees"  # the top candidate is named in the reference
    DIFFERS = "differs"  # another candidate is named, the top one is not
    NOT_COMPARABLE = "not comparable"  # no candidate is named in the reference


@dataclass(frozen=True)
class ReferenceComparison:
    """The comparison of a ranking's top answer with the record's reference label.

    Attributes:
        agreement: agrees, differs or not comparable.
        named: the candidates named in the reference, in ranking order.
        message: one plain sentence for the page and the exports.
    """

    agreement: Agreement
    named: tuple[str, ...]
    message: str


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def _with_class_names(reference: str) -> str:
    """The reference plus the plain name of every PTB-XL class code it states in capitals."""
    names = [
        name
        for task in _CODED_TASKS
        for code, name in task_labels()[task].items()
        if re.search(rf"(?<![\w/]){re.escape(code)}(?![\w/])", reference)
    ]
    return " ".join([reference, *names])


def compare_with_reference(ranking: Ranking, reference: str) -> ReferenceComparison:
    """Compare the ranking's top candidate with the reference label and report of its record.

    Args:
        ranking: candidates best first (`mets_core.rank`).
        reference: the dataset's label(s) and report for the same record.

    Returns:
        Whether the top answer is named in the reference, which candidates are, and a sentence.

    Example:
        >>> comparison = compare_with_reference(ranking, "SCP codes: AFIB (atrial fibrillation)")
        >>> comparison.agreement  # when "atrial fibrillation" was ranked below another candidate
        <Agreement.DIFFERS: 'differs'>
    """
    text = _words(_with_class_names(reference))
    candidates = [item.candidate for item in ranking]
    named = tuple(c for c in candidates if _words(c).strip() and _words(c) in text)
    top = candidates[0]
    if not named:
        return ReferenceComparison(
            Agreement.NOT_COMPARABLE,
            named,
            "None of the candidates is named in the reference label, so METS cannot say whether "
            "the model agrees with it; compare them yourself.",
        )
    if top in named:
        return ReferenceComparison(
            Agreement.AGREES,
            named,
            f"The model's top answer “{top}” is named in the reference label.",
        )
    listed = ", ".join(
        f"“{c}” (ranked {candidates.index(c) + 1} of {len(candidates)})" for c in named
    )
    return ReferenceComparison(
        Agreement.DIFFERS,
        named,
        f"The model's top answer “{top}” differs from the reference label, which names {listed}. "
        "On this record the model's first choice is not the reference diagnosis.",
    )
