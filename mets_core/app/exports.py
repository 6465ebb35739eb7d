"""Tables and downloads built from results: rankings, record summaries, lead quality.

Pure functions (no Streamlit): the app renders them and offers them as downloads; the CLI can
write the same files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from mets_core.record import ECGRecord
from mets_core.signal.quality import LeadQuality
from mets_core.zeroshot.disclaimer import DISCLAIMER
from mets_core.zeroshot.rank import Ranking, probability_name


def record_summary(record: ECGRecord) -> dict[str, str]:
    """A flat, human-readable summary of a record (for display and for exports)."""
    summary = {
        "source": record.source,
        "leads": ", ".join(record.lead_names),
        "sampling rate": f"{record.fs_hz:g} Hz",
        "duration": f"{record.duration_s:.2f} s",
        "samples per lead": str(record.n_samples),
        "units": "mV",
        "derived leads": ", ".join(record.derived_leads) or "none",
    }
    return summary


def quality_table(flags: Sequence[LeadQuality]) -> pd.DataFrame:
    """Per-lead quality flags as a table: lead, status ("ok" or the flags), details."""
    return pd.DataFrame(
        [
            {
                "lead": quality.lead,
                "status": ", ".join(quality.flags) or "ok",
                "details": "; ".join(quality.details),
            }
            for quality in flags
        ]
    )


PERCENTILE_COLUMN = "above % of reference ECGs"


def probability_column(ranking: Ranking) -> str:
    """The ranking table's probability column, named by `rank.probability_name` (with "%")."""
    return f"{probability_name(ranking)} (%)"


def ranking_table(ranking: Ranking) -> pd.DataFrame:
    """The ranking as a table: rank, candidate, cosine, the probability in percent (calibrated on
    fold 9 when the weights carry that temperature) and, with a reference bank, the candidate's
    percentile among the reference ECGs."""
    rows = []
    for position, item in enumerate(ranking, start=1):
        row = {
            "rank": position,
            "candidate": item.candidate,
            "cosine": round(float(item.cosine), 4),
            probability_column(ranking): round(100.0 * float(item.probability), 1),
        }
        if item.percentile is not None:
            row[PERCENTILE_COLUMN] = round(float(item.percentile), 1)
        if item.nearest_training_phrase is not None:
            row["closest training phrase"] = item.nearest_training_phrase
            row["phrase similarity"] = round(float(item.phrase_similarity), 2)
        rows.append(row)
    return pd.DataFrame(rows)


def neighbours_table(ranking: Ranking) -> pd.DataFrame:
    """The most similar reference ECGs: ecg_id, similarity, labels per task, report texts.

    Empty (no rows) when the ranking has no neighbours (weights without a reference bank).
    """
    return pd.DataFrame(
        [
            {
                "ecg_id": n.ecg_id,
                "similarity (cosine)": round(n.cosine, 3),
                **{task: ", ".join(names) or "-" for task, names in n.labels.items()},
                "report (generated from its labels)": n.report,
                "original report": n.original_report or "-",
            }
            for n in ranking.neighbours or ()
        ],
        columns=None if ranking.neighbours else ["ecg_id", "similarity (cosine)"],
    )


def ranking_exports(
    ranking: Ranking, record: ECGRecord, settings: dict[str, object]
) -> tuple[bytes, bytes]:
    """Serialise a ranking with the record summary and settings, as (CSV bytes, JSON bytes).

    The CSV starts with `#`-prefixed lines for the record summary and settings (read it back with
    `pandas.read_csv(path, comment="#")`); the JSON holds the same content as nested objects.
    """
    payload = {
        "disclaimer": DISCLAIMER,
        "record": record_summary(record),
        "settings": dict(settings),
        "probability_means": probability_name(ranking),
        **ranking.to_dict(),
    }
    context = {key: value for key, value in payload.items() if key != "ranking"}
    header = "".join(
        f"# {key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in context.items()
    )
    table = pd.DataFrame(payload["ranking"])
    table.insert(0, "rank", range(1, len(table) + 1))
    csv_bytes = (header + table.to_csv(index=False)).encode("utf-8")
    return csv_bytes, json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")
