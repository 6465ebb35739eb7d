"""Report text for training: PTB-XL German/Swedish -> English, reports from SCP codes, prompts.

The frozen language model reads English, and about 71% of PTB-XL reports are German
(METHOD.md). `normalize_report` translates the device statements and notes phrase by phrase
(longest phrase first, vocabulary in `mets_core.data.phrases`); `generate_report` writes an English
report from a record's SCP statements and their likelihoods; `report_for_record` picks the
source that the training config asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from mets_core.data.phrases import (
    BOILERPLATE,
    ENGLISH_WORDS,
    GERMAN,
    SWEDISH,
    TYPO_FIXES,
)
from mets_core.data.scp_report import generate_report, generate_report_from_labels
from mets_core.errors import LabelInputError

if TYPE_CHECKING:
    import pandas as pd

    from mets_core.data.ptbxl_index import PTBXLRow

__all__ = [
    "NormalizedReport",
    "ReportSource",
    "fill_template",
    "fold_text",
    "generate_report",
    "generate_report_from_labels",
    "normalize_report",
    "report_for_record",
]

ReportSource = Literal["original", "generated", "both"]
TRUNCATED_REPORT_CHARS = 250  # PTB-XL cuts long reports at 255 characters, mid-word

_FOLD = {"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa", "ß": "ss", "á": "ss", "#": "ue", "é": "e"}
_TOKEN = re.compile(r"[^\s.,;:!?&\"]+")
_NUMBER = re.compile(r"[\d().:/+\-x%]*\d[\d().:/+\-x%]*")
_LEAD = re.compile(r"(?:i{1,3}|av[rlf]|v\d)(?:[-/](?:i{1,3}|av[rlf]|v?\d))*")
_PART = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class NormalizedReport:
    """An English version of one report.

    Attributes:
        text_en: the English report (lower case, as PTB-XL reports are), "" when nothing is left.
        unknown_tokens: source tokens that no phrase, English word, number or lead name covered.
        language: "de", "sv", "en" or "unknown" (empty text).
        n_tokens: number of source tokens (after folding), for coverage statistics.
        phrases_used: the (folded) phrase-table keys that matched, in text order.
    """

    text_en: str
    unknown_tokens: tuple[str, ...]
    language: str
    n_tokens: int
    phrases_used: tuple[str, ...] = ()


def fold_text(text: str) -> str:
    """Lower-case, spell umlauts out (ä -> ae, å -> aa, PTB-XL's "#" -> ue), drop stray bytes."""
    text = "".join(_FOLD.get(ch, ch) for ch in str(text).lower())
    text = re.sub(r"[^\x20-\x7e]", " ", text)  # mojibake such as "ó¬" in a few Swedish rows
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=2)
def _phrase_table(foreign: bool) -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    """(pattern, folded key -> (English, language)); longest keys first in the alternation."""
    table = {fold_text(k): (v, "neutral") for k, v in TYPO_FIXES.items()}
    if foreign:
        for language, phrases in (("de", GERMAN), ("sv", SWEDISH)):
            table.update({fold_text(k): (v, language) for k, v in phrases.items()})
    keys = sorted(table, key=len, reverse=True)
    return re.compile("|".join(_bounded(re.escape(k), k) for k in keys)), table


def _bounded(pattern: str, key: str) -> str:
    """Whole-word match: no letter or digit may touch a key's alphanumeric ends."""
    head = r"(?<![a-z0-9])" if key[:1].isalnum() else ""
    tail = r"(?![a-z0-9])" if key[-1:].isalnum() else ""
    return f"(?:{head}{pattern}{tail})"


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _drop_boilerplate(text: str) -> tuple[str, list[tuple[int, int]]]:
    spans = []
    for pattern in BOILERPLATE:
        for match in re.finditer(_bounded(pattern, "a"), text):
            spans.append(match.span())
    for start, end in spans:
        text = _blank(text, start, end)
    return text, spans


def _is_plain(word: str) -> bool:
    bare = word.strip("()-/+'")
    return (
        not bare
        or word in ENGLISH_WORDS
        or bare in ENGLISH_WORDS
        or bool(_NUMBER.fullmatch(bare))
        or bool(_LEAD.fullmatch(bare))
    )


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _is_known(token: re.Match[str], spans: list[tuple[int, int]]) -> bool:
    """A token is known if it is plain English/number/lead, or each of its parts is covered."""
    if _is_plain(token.group(0)) or _inside(spans, *token.span()):
        return True
    offset = token.start()
    return all(
        _inside(spans, offset + p.start(), offset + p.end()) or _is_plain(p.group(0))
        for p in _PART.finditer(token.group(0))
    )


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([.,:;])", r"\1", text)
    text = re.sub(r"[.,:;](?:\s*[.,:;])+", lambda m: m.group(0).strip()[-1], text)
    return text.strip(" ,;:").strip()


def _detect_language(tokens: list[re.Match[str]], matches: list[re.Match[str]], table) -> str:
    votes = {"de": 0, "sv": 0, "en": 0}
    spans = []
    for match in matches:
        language = table[match.group(0)][1]
        if language in votes:
            spans.append(match.span())
            if not all(w in ENGLISH_WORDS for w in match.group(0).split()):
                votes[language] += len(_TOKEN.findall(match.group(0)))
    for token in tokens:
        if token.group(0) in ENGLISH_WORDS and not _inside(spans, *token.span()):
            votes["en"] += 1
    if not any(votes.values()):
        return "unknown" if not tokens else "en"
    return max(("en", "de", "sv"), key=lambda lang: votes[lang])


def _translate(text: str, matches: list[re.Match[str]], table) -> str:
    pieces, position = [], 0
    for match in matches:
        pieces.append(text[position : match.start()])
        pieces.append(f" {table[match.group(0)][0]} ")
        position = match.end()
    pieces.append(text[position:])
    return _tidy("".join(pieces))


def _end_sentence(text: str) -> str:
    return f"{text}." if text and (text[-1].isalnum() or text[-1] == ")") else text


def normalize_report(text: str | None) -> NormalizedReport:
    """Turn one PTB-XL report (German, Swedish or English) into English.

    Args:
        text: the report as stored in `ptbxl_database.csv` (any case; None or "" allowed).

    Returns:
        `NormalizedReport`; English reports keep their wording (only boilerplate such as
        "unconfirmed report" or annotator "Edit:" notes and spelling slips are removed/fixed).

    Example:
        >>> normalize_report("sinusrhythmus periphere niederspannung").text_en
        'sinus rhythm. low limb lead voltage.'
    """
    raw = str(text or "").strip()
    source, dropped = _drop_boilerplate(fold_text(raw))
    pattern, table = _phrase_table(True)
    matches = list(pattern.finditer(source))
    tokens = list(_TOKEN.finditer(fold_text(raw)))
    language = _detect_language(tokens, matches, table)
    if language == "en":
        pattern, table = _phrase_table(False)
        matches = list(pattern.finditer(source))
    covered = dropped + [m.span() for m in matches]
    unknown = [t for t in tokens if not _is_known(t, covered)]
    if unknown and len(raw) >= TRUNCATED_REPORT_CHARS and unknown[-1] is tokens[-1]:
        source = _blank(source, *unknown.pop().span())  # a word cut off by PTB-XL's length limit
    text_en = _translate(source, matches, table)
    return NormalizedReport(
        text_en=text_en if language == "en" else _end_sentence(text_en),
        unknown_tokens=tuple(t.group(0) for t in unknown),
        language=language,
        n_tokens=len(tokens),
        phrases_used=tuple(m.group(0) for m in matches),
    )


def report_for_record(row: PTBXLRow, source: ReportSource, statements: pd.DataFrame) -> str | None:
    """The English training report of one record.

    Args:
        row: the record's index row.
        source: "original" (the record's own report, translated; None if it has none),
            "generated" (from its SCP codes, or from its labels where it has no codes), or
            "both" (the original where the record has usable text, otherwise the generated one).
        statements: `scp_statements.csv` indexed by code.

    Returns:
        The report, or None when the chosen source has nothing for this record.
    """
    if source not in ("original", "generated", "both"):
        raise LabelInputError(
            f"Unknown report source {source!r}; expected original, generated or both."
        )
    if source in ("original", "both"):
        original = normalize_report(row.report).text_en if row.report else ""
        if original or source == "original":
            return original or None
    if row.scp_codes:
        generated = generate_report(row.scp_codes, statements)
    else:
        generated = generate_report_from_labels(row.labels, statements)
    return generated or None


def fill_template(template: str, report: str) -> str:
    """Put a report into a prompt template ("{}" or "{report}" marks the place).

    Raises:
        LabelInputError: when the template has no placeholder.

    Example:
        >>> fill_template("The report of the ECG is that {}", "sinus rhythm.")
        'The report of the ECG is that sinus rhythm.'
    """
    for marker in ("{report}", "{}"):
        if marker in template:
            return template.replace(marker, report, 1)
    raise LabelInputError(
        f"The prompt template {template!r} has no place for the report; write {{}} or {{report}}."
    )
