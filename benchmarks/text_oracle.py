"""The "text oracle" (issue 4): how well could a perfect ECG encoder do, given the frozen LM?

Each fold-9 record's own report (generated or original) is embedded by the frozen LM and scored
against the class prompts; the macro AUROC of those scores is an upper bound on what aligning
ECGs to reports can give in zero-shot, for each prompt template. Fold 9 only (selection data).

Usage: python benchmarks/text_oracle.py --data ../shared/data/ptb-xl [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch.nn.functional as F

from mets_core.config import TextEncoderConfig
from mets_core.data.pairs import label_matrix, rows_with_reports
from mets_core.data.ptbxl import load_ptbxl_index, split_rows
from mets_core.data.ptbxl_labels import TASK_CLASSES, load_scp_statements
from mets_core.evaluate.metrics import macro_auroc
from mets_core.model.text_encoder import FrozenTextEncoder
from mets_core.zeroshot.labels import task_labels
from mets_core.zeroshot.prompts import load_prompt_set
from mets_core.zeroshot.rank import fill_prompt

TEMPLATES = {
    "plain": "{}",
    "paper": load_prompt_set("paper").templates["superclass"][0],
    "report": "The report of the ECG is that {}",  # as in results/text_oracle.json
    "ecg_shows": "The ECG shows {}.",
}


def oracle(encoder, reports, labels, task, template, center) -> float | None:
    names = list(TASK_CLASSES[task])
    prompts = [fill_prompt(template, task_labels()[task][n]) for n in names]
    report_emb = F.normalize(encoder(reports), dim=-1)
    class_emb = encoder(prompts)
    if center:
        class_emb = class_emb - class_emb.mean(dim=0, keepdim=True)
    scores = (report_emb @ F.normalize(class_emb, dim=-1).t()).numpy()
    return macro_auroc(labels, scores, names)["macro_auroc"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", default="results/text_oracle.json")
    args = parser.parse_args()
    root = Path(args.data)
    index, statements = load_ptbxl_index(root), load_scp_statements(root)
    encoder = FrozenTextEncoder(TextEncoderConfig())
    results = {}
    for source in ("generated", "original"):
        rows, reports = rows_with_reports(split_rows(index, "val"), source, statements)
        for task in ("superclass", "rhythm"):
            labels = label_matrix(rows, task)
            for name, template in TEMPLATES.items():
                for center in (False, True):
                    key = f"{source}/{task}/{name}/{'centred' if center else 'raw'}"
                    results[key] = oracle(encoder, reports, labels, task, template, center)
                    print(f"{key:45s} n={len(rows):4d} AUROC {results[key]:.3f}")
    Path(args.out).write_text(
        json.dumps(
            {"split": "fold 9 (validation)", "lm": "all-MiniLM-L6-v2", "macro_auroc": results},
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
