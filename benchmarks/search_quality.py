"""Quality of search (issue 14 part 6) on the local PTB-XL fold 10, against untrained encoders.

1. Builds (or resumes) the fold-10 index with the shipped weights, `mets_core.index.build_index`,
   into --index (shipped at weights/ptbxl_fold10.index for the app's Search page).
2. Text queries: each PTB-XL superclass, subclass and rhythm class's plain name
   (`mets_core.zeroshot.labels.class_names`, in the weights' fold-9 template) ranks every fold-10
   record labelled for that task; average precision per class, mean over classes with a positive.
3. Look-alikes: for every labelled record, its k = 5 nearest other records (cosine, same pool);
   the share of neighbours with at least one of its labels, and with exactly its label set.
The same numbers for random-init encoders (seeds 0..n-1) on the same preprocessed windows, and
chance (a neighbour drawn at random; a random ranking's AP = the class prevalence).
Fold 10 is only reported here; nothing is chosen on it.

Usage: python benchmarks/search_quality.py --data ../shared/data/ptb-xl
           [--index weights/ptbxl_fold10.index] [--seeds 3] [--out results/search_quality.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score

from mets_core.data.ptbxl import load_ptbxl_index, split_rows
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.index.build import build_index
from mets_core.index.pipeline import encode_windows, prepare
from mets_core.index.search import open_index
from mets_core.index.sources import find_records
from mets_core.model.load import LoadedModel, load_model
from mets_core.zeroshot.labels import class_names
from mets_core.zeroshot.rank import build_label_embeddings

TASKS = ("superclass", "subclass", "rhythm")
K = 5


def text_ap(model: LoadedModel, emb: np.ndarray, codes: dict[str, list[set]]) -> dict:
    """Per task: AP of each class's plain-name query over the records labelled for the task."""
    out = {}
    for task in TASKS:
        pool = [i for i, labels in enumerate(codes[task]) if labels]
        names = dict(zip(TASK_CLASSES[task], class_names(task), strict=True))
        queries = build_label_embeddings(model, list(names.values())).float().cpu().numpy()
        scores = emb[pool].astype(np.float32) @ queries.T  # (records, classes)
        per_class = {}
        for column, (code, name) in enumerate(names.items()):
            truth = np.array([code in codes[task][i] for i in pool])
            if truth.any():
                ap = float(average_precision_score(truth, scores[:, column]))
                per_class[code] = {"query": name, "positives": int(truth.sum()), "ap": ap}
        out[task] = {
            "records": len(pool),
            "classes": len(per_class),
            "mAP": float(np.mean([c["ap"] for c in per_class.values()])),
            "chance_mAP": float(np.mean([c["positives"] / len(pool) for c in per_class.values()])),
            "per_class": per_class,
        }
    return out


def neighbour_agreement(emb: np.ndarray, codes: dict[str, list[set]]) -> dict:
    """Per task: share of the K nearest neighbours sharing a label / the whole label set."""
    out = {}
    for task in TASKS:
        pool = [i for i, labels in enumerate(codes[task]) if labels]
        vectors = emb[pool].astype(np.float32)
        similarity = vectors @ vectors.T
        np.fill_diagonal(similarity, -np.inf)
        sets = [codes[task][i] for i in pool]
        shared, exact, chance = [], [], []
        for row, mine in enumerate(sets):
            nearest = np.argsort(-similarity[row], kind="stable")[:K]
            shared.append(np.mean([bool(mine & sets[j]) for j in nearest]))
            exact.append(np.mean([mine == sets[j] for j in nearest]))
            chance.append(np.mean([bool(mine & s) for j, s in enumerate(sets) if j != row]))
        out[task] = {
            "records": len(pool),
            "k": K,
            "share_a_label": float(np.mean(shared)),
            "same_label_set": float(np.mean(exact)),
            "chance_share_a_label": float(np.mean(chance)),
        }
    return out


def summary(text: dict, neighbours: dict) -> dict:
    return {
        task: {
            "text_mAP": round(text[task]["mAP"], 3),
            "knn5_share_a_label": round(neighbours[task]["share_a_label"], 3),
        }
        for task in TASKS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="PTB-XL folder")
    parser.add_argument("--weights", default=None, help="weights stem (default: shipped)")
    parser.add_argument("--index", default="weights/ptbxl_fold10.index")
    parser.add_argument("--seeds", type=int, default=3, help="random-init encoders to compare")
    parser.add_argument("--out", default="results/search_quality.json")
    args = parser.parse_args()
    root = Path(args.data)
    fold10 = {f"{row.filename_lr}.hea" for row in split_rows(load_ptbxl_index(root), "test")}
    model = load_model(args.weights, "cpu")
    started = time.perf_counter()
    report = build_index(root, Path(args.index), model, only=fold10)
    build_s = time.perf_counter() - started
    index = open_index(Path(args.index), model)
    meta = index.meta.to_pylist()
    codes = {task: [set(r[f"ptbxl_{task}"] or ()) for r in meta] for task in TASKS}
    results = {}
    matrix = np.asarray(index.matrix)
    text, neighbours = text_ap(model, matrix, codes), neighbour_agreement(matrix, codes)
    results[model.weights.name] = {"text": text, "neighbours": neighbours}
    sources = {s.source_path: s for s in find_records(root, only=fold10)}
    prepared = [prepare(sources[r["source_path"]], model.config.preprocess) for r in meta]
    for seed in range(args.seeds):
        untrained = load_model(random_init=True, device="cpu", seed=seed)
        emb = encode_windows(untrained, [p.windows for p in prepared]).astype(np.float16)
        text_r, neighbours_r = text_ap(untrained, emb, codes), neighbour_agreement(emb, codes)
        results[f"random-init seed {seed}"] = {"text": text_r, "neighbours": neighbours_r}
    table = {name: summary(r["text"], r["neighbours"]) for name, r in results.items()}
    for name, row in table.items():
        print(name, json.dumps(row))
    payload = {
        "command": "python benchmarks/search_quality.py --data " + args.data,
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "split": "PTB-XL fold 10 (local copy), reported only",
        "index": {
            "path": args.index,
            "rows": len(index),
            "build_report": report.to_dict(),
            "build_seconds_this_run": round(build_s, 1),
            "template": model.config.zero_shot_template,
        },
        "summary": table,
        "results": results,
    }
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
