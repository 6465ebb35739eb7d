"""English reports written from a PTB-XL record's SCP statements (or, lacking them, its labels).

Wording comes from the `description` column of `scp_statements.csv` (a few overrides in
`mets_core.data.phrases`); likelihoods become "probable" / "possible" / "possibly" /
"cannot rule out" as PTB-XL defines them (Wagner et al. 2020, Table 3).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from mets_core.data.phrases import CLASS_DESCRIPTIONS, DESCRIPTION_OVERRIDES


def _likelihood_phrase(description: str, likelihood: float) -> str:
    """PTB-XL likelihoods: 100 certain, 80 probable, 50 possible, 35 possibly, 15 cannot rule out.

    0 means "not graded" (all rhythm and most form statements) and is stated plainly.
    """
    if likelihood <= 0 or likelihood >= 100:
        return description
    if likelihood >= 80:
        return f"probable {description}"
    if likelihood >= 50:
        return f"possible {description}"
    if likelihood >= 35:
        return f"possibly {description}"
    return f"cannot rule out {description}"


def _describe(code: str, statements: pd.DataFrame) -> str:
    if code in DESCRIPTION_OVERRIDES:
        return DESCRIPTION_OVERRIDES[code]
    return str(statements.loc[code, "description"]).strip().lower()


def _group(code: str, statements: pd.DataFrame) -> int:
    """Report order: rhythm (0), diagnostic (1, including diagnostic form codes), form (2)."""
    entry = statements.loc[code]
    if entry["rhythm"] == 1:
        return 0
    return 1 if entry["diagnostic"] == 1 else 2


def _join_sentences(sentences: list[str]) -> str:
    unique = list(dict.fromkeys(s for s in sentences if s))
    return " ".join(f"{s}." for s in unique)


def generate_report(scp_codes: Mapping[str, float], statements: pd.DataFrame) -> str:
    """Write an English report from a record's SCP statements.

    Args:
        scp_codes: SCP code -> likelihood (0-100), as in `ptbxl_database.csv`.
        statements: `scp_statements.csv` indexed by code (`load_scp_statements`).

    Returns:
        Lower-case sentences, rhythm first, then diagnostic, then form statements; within a
        group by likelihood (highest first) and the statement table's order; "" when no code is
        known. Example: {"NORM": 80, "SBRAD": 0} -> "sinus bradycardia. probable normal ecg."
    """
    order = {code: i for i, code in enumerate(statements.index)}
    known = [c for c in scp_codes if c in order]
    known.sort(key=lambda c: (_group(c, statements), -float(scp_codes[c]), order[c]))
    return _join_sentences(
        [_likelihood_phrase(_describe(c, statements), float(scp_codes[c])) for c in known]
    )


def _code_for_class(name: str, task: str, statements: pd.DataFrame) -> str | None:
    column = {"rhythm": "rhythm", "form": "form"}.get(task, "diagnostic")
    for code in statements.index[statements[column] == 1]:
        if code.strip("_") == name:
            return code
    return None


def generate_report_from_labels(
    labels: Mapping[str, tuple[str, ...]], statements: pd.DataFrame
) -> str:
    """Write an English report from label sets alone (records without SCP codes).

    Args:
        labels: task -> class names as in `PTBXLRow.labels` ("superclass", "subclass", "form",
            "rhythm"); the superclass is used only when the record has no subclass.
        statements: `scp_statements.csv` indexed by code.

    Returns:
        Sentences in the order rhythm, diagnostic (subclass), form; "" when there are no labels.
    """
    tasks = ["rhythm", "subclass" if labels.get("subclass") else "superclass", "form"]
    sentences = []
    for task in tasks:
        for name in labels.get(task, ()):
            code = _code_for_class(name, task, statements)
            text = _describe(code, statements) if code else CLASS_DESCRIPTIONS.get(name)
            sentences.append(text or name.lower())
    return _join_sentences(sentences)
