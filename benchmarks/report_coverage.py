"""Token coverage of the PTB-XL report normaliser on the real reports; 20 before/after examples.

Run from the repo root:
    .venv/bin/python benchmarks/report_coverage.py [--data ../shared/data/ptb-xl]
Prints the coverage and writes results/report_coverage.json.

Coverage = share of report tokens that a phrase-table entry, an English word, a number or a lead
name accounts for (boilerplate removed on purpose counts as handled). The phrase table was built
from these same reports, so this is in-sample; the leave-one-out figure treats every vocabulary
item used by only one report as unknown for that report, which estimates coverage on unseen
reports of the same kind.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from mets_core.data.phrases import ENGLISH_WORDS
from mets_core.data.reports import NormalizedReport, fold_text, normalize_report

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ptb-xl"
_TOKEN = re.compile(r"[^\s.,;:!?&\"]+")


def _vocabulary(result: NormalizedReport, text: str) -> set[str]:
    """Phrase keys and English words a report relies on (for the leave-one-out estimate)."""
    words = {t for t in _TOKEN.findall(fold_text(text)) if t in ENGLISH_WORDS}
    return set(result.phrases_used) | words


def _leave_one_out_unknown(results: list[NormalizedReport], texts: list[str]) -> int:
    vocab = [_vocabulary(r, t) for r, t in zip(results, texts, strict=True)]
    used_by = Counter(item for items in vocab for item in items)
    extra = 0
    for items in vocab:
        extra += sum(len(_TOKEN.findall(i)) for i in items if used_by[i] == 1)
    return extra


def _examples(frame: pd.DataFrame, results: list[NormalizedReport]) -> list[dict[str, object]]:
    """Twenty distinct reports: 9 German, 6 Swedish, 5 English, longest-first within language."""
    quota = {"de": 9, "sv": 6, "en": 5}
    rows = sorted(
        zip(frame["ecg_id"], frame["report"], results, strict=True),
        key=lambda x: -len(set(x[2].phrases_used)),
    )
    seen, picked = set(), []
    for ecg_id, text, result in rows:
        if quota.get(result.language, 0) and text not in seen and 40 < len(text) < 200:
            quota[result.language] -= 1
            seen.add(text)
            picked.append(
                {
                    "ecg_id": int(ecg_id),
                    "language": result.language,
                    "before": text,
                    "after": result.text_en,
                }
            )
    return sorted(picked, key=lambda e: e["ecg_id"])


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO / "results" / "report_coverage.json")
    args = parser.parse_args(argv)
    frame = pd.read_csv(args.data / "ptbxl_database.csv", usecols=["ecg_id", "report"])
    texts = frame["report"].fillna("").astype(str).tolist()
    results = [normalize_report(t) for t in texts]
    total = sum(r.n_tokens for r in results)
    unknown = Counter(t for r in results for t in r.unknown_tokens)
    loo_extra = _leave_one_out_unknown(results, texts)
    by_language = Counter(r.language for r in results)
    summary = {
        "command": "python benchmarks/report_coverage.py",
        "reports": len(results),
        "tokens": total,
        "unknown_tokens": sum(unknown.values()),
        "coverage": round(1 - sum(unknown.values()) / total, 4),
        "coverage_leave_one_out_estimate": round(
            1 - (sum(unknown.values()) + loo_extra) / total, 4
        ),
        "reports_by_language": dict(by_language),
        "empty_after_normalising": sum(not r.text_en for r in results),
        "unknown_token_counts": dict(unknown.most_common()),
        "examples": _examples(frame, results),
    }
    _print(summary)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def _print(summary: dict[str, object]) -> None:
    print(
        f"reports: {summary['reports']}  tokens: {summary['tokens']}  by language: "
        f"{summary['reports_by_language']}"
    )
    print(
        f"token coverage: {summary['coverage']:.2%}  (unknown {summary['unknown_tokens']}: "
        f"{summary['unknown_token_counts']})"
    )
    print(f"leave-one-out estimate: {summary['coverage_leave_one_out_estimate']:.2%}")
    for example in summary["examples"]:  # type: ignore[union-attr]
        print(f"\n[{example['ecg_id']}, {example['language']}] {example['before']}")
        print(f"  -> {example['after']}")


if __name__ == "__main__":
    main()
