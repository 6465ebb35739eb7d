"""Paraphrase consistency: does the answer survive the way a clinician words a class?

For 16 PTB-XL classes (rhythm, subclass, form) with 6 wordings each - the plain class name the
app offers, 3 wordings from the training phrase table (`mets_core.data.phrasings`, marked
"trained") and 2 written here that the table does not hold ("held_out") - every record of fold 9
(selection split) and fold 10 (report split) is scored as served: the weights' template around
each wording, the cosine between the ECG embedding (windows averaged) and the prompt embedding,
exactly what `mets_core.rank` returns (checked against `rank` on the first records). Per split:

- per class and wording: one-vs-rest AUROC over the records labelled for the task;
- per wording set j (the j-th wording of every class of a task): the task's macro AUROC, then
  the spread over the 6 sets (max - min, sd);
- rank agreement: per record, Spearman correlation between the task's class ranking with
  wording set j and with the plain names, and how often the top class is the same; means.

    .venv/bin/python benchmarks/paraphrase.py --weights weights/mets_resnet18 \
        --weights runs/robust_s0/mets_resnet18 --selection - \
        --selection runs/robust_s0/select/serving.json --out results/paraphrase.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

import mets_core
from mets_core.data.pairs import label_matrix
from mets_core.data.phrasings import PHRASINGS
from mets_core.data.ptbxl import load_ptbxl_index, read_ptbxl_signal, split_rows
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.evaluate.metrics import macro_auroc
from mets_core.model.load import encode_ecg, load_model
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot.labels import task_labels
from mets_core.zeroshot.rank import build_label_embeddings

REPO = Path(__file__).resolve().parents[1]
PTBXL = REPO.parent / "shared" / "data" / "ptb-xl"
SPLITS = {"fold9_selection": "val", "fold10_report": "test"}
N_TRAINED, N_HELD_OUT = 3, 2
# task -> class -> (3 wordings from the training phrase table, 2 it does not hold); the plain
# class name (zeroshot.labels) comes first. Classes: >= 3 positives in fold 9 and in fold 10.
WORDINGS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "rhythm": {
        "SR": (("normal sinus rhythm", "NSR", "SR"), ("normal rhythm", "rhythm: sinus")),
        "AFIB": (
            ("AF", "afib", "a-fib"),
            ("fibrillation of the atria", "irregularly irregular rhythm without P waves"),
        ),
        "STACH": (
            ("sinus tach", "fast sinus rhythm", "tachycardia, sinus"),
            ("rapid sinus rhythm", "sinus rhythm above 100 bpm"),
        ),
        "SBRAD": (
            ("sinus brady", "SB", "slow sinus rhythm"),
            ("sinus rhythm below 60 bpm", "bradycardic sinus rhythm"),
        ),
        "SARRH": (
            ("irregular sinus rhythm", "phasic sinus arrhythmia", "sinus arrhythmia, respiratory"),
            ("respiratory variation of the sinus rate", "irregular sinus rate"),
        ),
        "AFLT": (("AFL", "a-flutter", "flutter"), ("sawtooth flutter waves", "typical flutter")),
    },
    "subclass": {
        "NORM": (
            ("within normal limits", "WNL", "normal electrocardiogram"),
            ("normal tracing", "unremarkable ECG"),
        ),
        "IMI": (
            ("IMI", "inferior MI", "inferior infarct"),
            ("inferior MI, age undetermined", "infarction of the inferior wall"),
        ),
        "AMI": (
            ("anterior MI", "anterior infarct", "anterior wall MI"),
            ("anterior MI, age undetermined", "infarction of the anterior wall"),
        ),
        "LVH": (
            ("LVH", "LV hypertrophy", "left ventricular enlargement"),
            ("hypertrophy of the left ventricle", "enlarged left ventricle"),
        ),
        "CLBBB": (
            ("LBBB", "complete LBBB", "left bundle branch block"),
            ("left bundle block", "LBB block"),
        ),
        "CRBBB": (
            ("RBBB", "complete RBBB", "right bundle branch block"),
            ("right bundle block", "RBB block"),
        ),
        "IRBBB": (
            ("IRBBB", "incomplete RBBB", "partial right bundle branch block"),
            ("incomplete right bundle block", "rSR prime in V1"),
        ),
        "LAFB/LPFB": (
            ("LAFB", "LAHB", "left anterior hemiblock"),
            ("left anterior fascicle block", "fascicular block of the left bundle"),
        ),
        "AVB": (
            ("AV block", "heart block", "1st degree AV block"),
            ("prolonged AV conduction", "A-V conduction delay"),
        ),
    },
    "form": {
        "PVC": (
            ("PVC", "PVCs", "ventricular extrasystole"),
            ("ventricular ectopic beat", "premature ventricular beat"),
        ),
    },
}


def wording_table() -> dict[str, dict[str, list[dict]]]:
    """task -> class -> [{"text", "kind": plain, trained or held_out}], checked on PHRASINGS."""
    trained = {w.lower() for wordings in PHRASINGS.values() for w in wordings}
    table: dict[str, dict[str, list[dict]]] = {}
    for task, classes in WORDINGS.items():
        table[task] = {}
        for code, (in_table, held_out) in classes.items():
            missing = [w for w in in_table if w.lower() not in trained]
            leaked = [w for w in held_out if w.lower() in trained]
            if missing or leaked:
                raise SystemExit(f"{code}: not in the phrase table {missing}, in it {leaked}")
            plain = task_labels()[task][code]
            table[task][code] = (
                [{"text": plain, "kind": "plain"}]
                + [{"text": w, "kind": "trained"} for w in in_table]
                + [{"text": w, "kind": "held_out"} for w in held_out]
            )
    return table


def served_template(model, selection: str | None) -> str:
    """The fold-9 template of a `mets select` serving.json, else the one in the sidecar."""
    if selection and selection != "-":
        return json.loads(Path(selection).read_text())["selection"]["zero_shot_template"]
    return model.config.zero_shot_template


def split_embeddings(model, rows) -> torch.Tensor:
    """(N, D) unit ECG embeddings, as `rank` computes them (windows averaged, normalised)."""
    out = []
    for row in rows:
        prepared = preprocess_for_model(read_ptbxl_signal(PTBXL, row), model.config.preprocess)
        out.append(encode_ecg(model, prepared.windows).float().reshape(-1))
    return torch.stack(out)


def check_against_rank(model, rows, texts, template, cosines) -> float:
    """Largest |cosine - rank's cosine| over the first 3 records (must be ~0)."""
    worst = 0.0
    for i, row in enumerate(rows[:3]):
        ranked = mets_core.rank(model, read_ptbxl_signal(PTBXL, row), texts[:50], template)
        by_text = {r.candidate: r.cosine for r in ranked}
        worst = max(
            worst, max(abs(by_text[t] - float(cosines[i, j])) for j, t in enumerate(texts[:50]))
        )
    return worst


def task_scores(table, task, rows, cosines, text_at) -> dict:
    """Per class x wording AUROC, per wording-set macro AUROC with spread, rank agreement."""
    classes = list(table[task])
    full = label_matrix(rows, task)
    keep = full.any(axis=1)
    labels = full[keep][:, [TASK_CLASSES[task].index(c) for c in classes]]
    n_sets = len(table[task][classes[0]])
    sets = np.stack(
        [
            cosines[keep][:, [text_at[table[task][c][j]["text"]] for c in classes]]
            for j in range(n_sets)
        ]
    )  # (J, N, C)
    per_set = [macro_auroc(labels, sets[j], classes) for j in range(n_sets)]
    macro = [p["macro_auroc"] for p in per_set]
    per_class = {
        c: [{**table[task][c][j], "auroc": per_set[j]["per_class"].get(c)} for j in range(n_sets)]
        for c in classes
    }
    agreement = [_agreement(sets[0], sets[j]) for j in range(n_sets)]
    return {
        "n_records": int(keep.sum()),
        "n_positive": {c: int(labels[:, k].sum()) for k, c in enumerate(classes)},
        "macro_auroc_by_wording_set": macro,
        "wording_set_kinds": ["plain", *["trained"] * N_TRAINED, *["held_out"] * N_HELD_OUT],
        "macro_auroc_spread": float(np.max(macro) - np.min(macro)),
        "macro_auroc_sd": float(np.std(macro)),
        "macro_auroc_mean_trained": float(np.mean(macro[1 : 1 + N_TRAINED])),
        "macro_auroc_mean_held_out": float(np.mean(macro[1 + N_TRAINED :])),
        "per_class": per_class,
        "per_class_auroc_spread": {
            c: float(np.ptp([w["auroc"] for w in per_class[c] if w["auroc"] is not None]))
            for c in classes
        },
        "rank_agreement_with_plain": agreement,
    }


def _agreement(plain: np.ndarray, other: np.ndarray) -> dict | None:
    """Mean per-record Spearman rho of the class rankings and top-1 agreement, (N, C) each;
    None for a one-class task (nothing to rank)."""
    if plain.shape[1] < 2:
        return None
    rho = [spearmanr(a, b).statistic for a, b in zip(plain, other, strict=True)]
    top = float(np.mean(plain.argmax(axis=1) == other.argmax(axis=1)))
    return {"spearman_mean": float(np.nanmean(rho)), "top1_same": top}


def evaluate_weights(weights: str, selection: str | None, device: str) -> dict:
    model = load_model(weights, device=device)
    template = served_template(model, selection)
    table = wording_table()
    texts = list(dict.fromkeys(w["text"] for t in table.values() for c in t.values() for w in c))
    text_at = {t: i for i, t in enumerate(texts)}
    label_emb = build_label_embeddings(model, texts, [template]).float()
    index = load_ptbxl_index(PTBXL)
    result = {"weights": weights, "weights_sha256": model.weights.sha256, "template": template}
    for name, split in SPLITS.items():
        rows = split_rows(index, split)
        cosines = (split_embeddings(model, rows) @ label_emb.t()).cpu().numpy()
        result[name] = {
            "max_abs_difference_to_rank": check_against_rank(model, rows, texts, template, cosines),
            **{task: task_scores(table, task, rows, cosines, text_at) for task in table},
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--weights", action="append", required=True, help="weights stem (repeat)")
    parser.add_argument("--selection", action="append", help="serving.json per --weights, or -")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=str(REPO / "results" / "paraphrase.json"))
    args = parser.parse_args(argv)
    selections = args.selection or ["-"] * len(args.weights)
    if len(selections) != len(args.weights):
        parser.error("give one --selection per --weights (or none)")
    results = [
        evaluate_weights(w, s, args.device) for w, s in zip(args.weights, selections, strict=True)
    ]
    for r in results:
        for split in SPLITS:
            summary = {
                task: [round(v, 3) for v in r[split][task]["macro_auroc_by_wording_set"]]
                for task in WORDINGS
            }
            print(r["weights"], split, json.dumps(summary))
    report = {
        "what": "macro AUROC per wording set (plain name, 3 trained wordings, 2 held-out) and "
        "rank agreement with the plain names; fold 9 = selection split, fold 10 = report only",
        "wordings": wording_table(),
        "command": "python benchmarks/paraphrase.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": f"{platform.node()} {platform.machine()}",
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "results": results,
    }
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
