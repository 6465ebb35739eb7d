"""What `mets evaluate` writes: the JSON report, balanced-set and beat ids, per-record predictions.

Functions either build a value or write files, never both. The markdown tables are rendered from
the JSON report by `mets_core.evaluate.markdown`.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import DataError
from mets_core.evaluate.markdown import render_markdown
from mets_core.evaluate.protocols import labelled
from mets_core.model.device import describe_device, resolve_device
from mets_core.model.load import LoadedModel
from mets_core.zeroshot.prompts import MITBIH_CLASSES, MITBIH_TASK, PAPER_PROMPT_SET

TOP_K = 5


def weights_summary(model: LoadedModel) -> dict:
    """Name, SHA-256, trained flag and the training provenance (minus history) of the weights."""
    provenance = {k: v for k, v in model.weights.provenance.items() if k != "history"}
    return {
        "name": model.weights.name,
        "path": model.weights.path,
        "sha256": model.weights.sha256,
        "trained": model.weights.trained,
        "provenance": provenance,
    }


def summary_line(report: dict) -> str:
    """One line per checkpoint: chosen prompt set and its fold-10 macro AUROC per task."""
    chosen = report["selection"]["chosen"]
    b = report["zero_shot"][chosen]["protocol_b"]
    parts = [f"{t} {v['macro_auroc']:.3f}" for t, v in b.items() if v["macro_auroc"] is not None]
    return f"{report['weights']['name']}: prompt set {chosen} (fold 9); fold 10 " + ", ".join(parts)


def _spread(values: list[float]) -> dict:
    array = np.array([v for v in values if v is not None], dtype=float)
    sd = float(array.std(ddof=1)) if len(array) > 1 else None
    return {
        "mean": float(array.mean()) if len(array) else None,
        "sd": sd,
        "n": int(len(array)),
        "values": array.tolist(),
    }


def aggregate(runs: list[dict]) -> dict:
    """Mean and spread over checkpoints (seeds) for the fold-9 choice and the paper's prompts."""
    out = {}
    for label in ("chosen", PAPER_PROMPT_SET):
        picked = [
            r["zero_shot"][r["selection"]["chosen"] if label == "chosen" else label] for r in runs
        ]
        entry = {
            f"protocol_b_{t}": _spread([p["protocol_b"][t]["macro_auroc"] for p in picked])
            for t in picked[0]["protocol_b"]
        }
        for t in picked[0]["protocol_a"]:
            entry[f"protocol_a_{t}_macro_f1"] = _spread(
                [p["protocol_a"][t]["macro_f1"] for p in picked]
            )
        if "mitbih" in picked[0]:
            entry["mitbih_macro_f1"] = _spread([p["mitbih"]["macro_f1"] for p in picked])
        out[label] = entry
    return out


def machine_description() -> str:
    """CPU/GPU, core count, OS and torch version, for the provenance line of each table."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{platform.machine()} {os.cpu_count()} CPU cores, {gpu}, "
        f"{platform.system()} {platform.release()}, torch {torch.__version__}"
    )


def build_report(argv: list[str], ctx, runs: list[dict], baselines: dict) -> dict:
    """The full JSON report: provenance, data counts, per-checkpoint results, baselines."""
    data = {s: len(d.rows) for s, d in ctx.data.items()}
    meta = {
        "command": "mets evaluate " + " ".join(argv),
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_description(),
        "device": describe_device(resolve_device(ctx.args.device)),
        "data": str(ctx.args.data),
        "records_per_split": data,
        "splits": "PTB-XL strat_fold 1-8 train (probes, supervised), 9 selection, 10 test",
        "seed": ctx.args.seed,
        "n_bootstrap": ctx.args.n_bootstrap,
        "prompt_sets": [s.tag for s in ctx.prompt_sets],
    }
    return {
        "meta": meta,
        "balanced_sets": balanced_summary(ctx),
        "mitbih": beats_summary(ctx),
        "runs": runs,
        "aggregate": aggregate(runs),
        "baselines": baselines,
    }


def balanced_summary(ctx) -> dict:
    """Per task: classes, records per class drawn and available (fold 10, single-label)."""
    return {
        t: {
            "classes": list(b.codes),
            "drawn": {c: len(v) for c, v in b.ids.items()},
            "available": b.available,
            "per_class_target": b.per_class,
            "seed": b.seed,
        }
        for t, b in ctx.balanced.items()
    }


def beats_summary(ctx) -> dict | None:
    if ctx.beats is None:
        return None
    drawn = {c: sum(b.symbol == c for b in ctx.beats.beats) for c in MITBIH_CLASSES}
    return {
        "classes": list(MITBIH_CLASSES),
        "drawn": drawn,
        "available": ctx.beats.available,
        "window_s": ctx.beats.window_s,
        "seed": ctx.beats.seed,
    }


def prediction_table(
    ids: list, truths: list[str], cosines: np.ndarray, codes: tuple[str, ...], scale: float
) -> pd.DataFrame:
    """Per record: true codes, predicted code, top-5 with cosines, relative probabilities."""
    logits = scale * cosines
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    order = np.argsort(-cosines, axis=1, kind="stable")[:, :TOP_K]
    table = pd.DataFrame({"ecg_id": ids, "true": truths})
    table["predicted"] = [codes[o[0]] for o in order]
    table["correct"] = [p in t.split(";") for p, t in zip(table["predicted"], truths, strict=True)]
    for k in range(order.shape[1]):
        table[f"top{k + 1}"] = [codes[o[k]] for o in order]
        table[f"top{k + 1}_cosine"] = cosines[np.arange(len(order)), order[:, k]].round(4)
    for c, code in enumerate(codes):
        table[f"p_{code}"] = probabilities[:, c].round(4)
    return table


def prediction_tables(ctx, model: LoadedModel, scores: dict[str, np.ndarray]) -> dict:
    """task -> predictions table for the first checkpoint and its fold-9 prompt set."""
    scale = float(model.module.scale().item())
    rows = ctx.data["test"].rows
    tables = {}
    for task in ctx.tasks:
        keep = labelled(rows, task)
        kept = [r for r, k in zip(rows, keep, strict=True) if k]
        tables[task] = prediction_table(
            [r.ecg_id for r in kept],
            [";".join(r.labels[task]) for r in kept],
            scores[task][keep],
            TASK_CLASSES[task],
            scale,
        )
        tables[task]["report"] = [r.report or "" for r in kept]
    if MITBIH_TASK in scores and ctx.beats is not None:
        beats = ctx.beats.beats
        tables[MITBIH_TASK] = prediction_table(
            [b.beat_id for b in beats],
            [b.symbol for b in beats],
            scores[MITBIH_TASK],
            MITBIH_CLASSES,
            scale,
        )
    return tables


def write_outputs(out: Path, report: dict, ctx, model: LoadedModel, scores: dict) -> list[Path]:
    """Write evaluation.json, balanced_sets.json, mitbih_beats.json, CSVs and README.md."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "evaluation.json", out / "balanced_sets.json"]
    written[0].write_text(json.dumps(report, indent=1) + "\n")
    sets = {
        t: {"seed": b.seed, "ids": b.ids, "available": b.available, "per_class": b.per_class}
        for t, b in ctx.balanced.items()
    }
    written[1].write_text(json.dumps(sets, indent=1) + "\n")
    if ctx.beats is not None:
        beats = [
            {"record": b.record, "sample": b.sample, "symbol": b.symbol} for b in ctx.beats.beats
        ]
        written.append(out / "mitbih_beats.json")
        written[-1].write_text(json.dumps({**beats_summary(ctx), "beats": beats}, indent=1) + "\n")
    for task, table in prediction_tables(ctx, model, scores).items():
        written.append(out / f"predictions_{task}.csv")
        table.to_csv(written[-1], index=False)
    written.append(out / "README.md")
    written[-1].write_text(render_markdown(report))
    return written


def read_report(out: Path) -> dict:
    """OUT/evaluation.json, or a DataError saying to run the full `mets evaluate` first."""
    path = out / "evaluation.json"
    if not path.is_file():
        raise DataError(f"{path} does not exist: run the full `mets evaluate` first.")
    return json.loads(path.read_text())


def write_report(out: Path, report: dict) -> Path:
    """Write OUT/evaluation.json (as `write_outputs` does)."""
    path = out / "evaluation.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    return path


def run_for_weights(report: dict, sha256: str) -> dict:
    """The run of `report` evaluated with the weights of this SHA-256."""
    for run in report["runs"]:
        if run["weights"]["sha256"] == sha256:
            return run
    known = ", ".join(str(r["weights"]["sha256"])[:12] for r in report["runs"])
    raise DataError(
        f"No run of evaluation.json has weights sha256 {sha256[:12]} (it has {known}); "
        "run the full `mets evaluate` for these weights."
    )


def served_line(run: dict) -> str:
    """One line: cinc-external rhythm and AF AUROC, fold-10 rhythm AUROC per lead subset."""
    served = run.get("served", {})
    parts = []
    external = served.get("cinc_external")
    if external:
        parts.append(
            f"cinc-external rhythm {_num(external['rhythm']['macro_auroc'])}, "
            f"AF {_num(external['af']['macro_auroc'])}"
        )
    for subset, result in served.get("lead_subsets_fold10", {}).items():
        parts.append(f"{subset} {_num(result['rhythm']['macro_auroc'])}")
    return f"{run['weights']['name']}: " + "; ".join(parts)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def rerender(out: Path) -> int:
    """Rewrite OUT/README.md from OUT/evaluation.json (after a change to the tables only)."""
    report = json.loads((out / "evaluation.json").read_text())
    (out / "README.md").write_text(render_markdown(report))
    print(f"wrote {out / 'README.md'}")
    return 0
