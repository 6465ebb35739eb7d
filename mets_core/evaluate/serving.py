"""Serve what was measured: the fold-9 choices behind `rank`'s defaults, and the fold-10 numbers
users get from them.

Everything here goes through `mets_core.rank` with the plain class names a user types
(`zeroshot.labels`), never through a private scoring path:

1. Fold 9 (selection): every template offered by the shipped prompt sets is tried with the plain
   names; the one with the best mean macro AUROC over superclass, subclass, form and rhythm
   becomes `config.zero_shot_template`. With it, the softmax temperature rule is fitted and
   chosen by cross-validation within fold 9 (`evaluate.calibration.choose_calibration`; a
   temperature that may depend on the number of candidates), single-label records.
2. Fold 10 (report only): per task, the per-record predictions table of the app's Explore page
   (`explore.predict_rows`), its macro AUROC from cosines (`metrics.bootstrap_macro_auroc`), and
   the top answer's calibration before and after, with its sampling noise and whether the
   issue-12 target (ECE <= 0.05, superclass and rhythm) is met.

`mets select --weights W --write` stores the choices in W's sidecar and writes
`results/serving.json` plus the predictions tables; `tests/test_serving.py` pins that the
sidecar matches that file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from mets_core.data.pairs import label_matrix, rows_with_reports
from mets_core.data.ptbxl import (
    PTBXLIndex,
    PTBXLRow,
    load_ptbxl_index,
    read_ptbxl_signal,
    split_rows,
)
from mets_core.data.ptbxl_labels import TASK_CLASSES, load_scp_statements
from mets_core.errors import DataError, METSError
from mets_core.evaluate.calibration import (
    TARGET_TASKS,
    build_problems,
    choose_calibration,
    ece_interval,
    fit_temperature,
    pairs,
    softmax,
    target_verdict,
    top1_calibration,
)
from mets_core.evaluate.explore import (
    cosine_matrix,
    predict_rows,
    probability_matrix,
)
from mets_core.evaluate.protocols import protocol_b
from mets_core.model.checkpoint import write_selection
from mets_core.model.device import describe_device
from mets_core.model.load import LoadedModel, load_model
from mets_core.record import ECGRecord
from mets_core.zeroshot.labels import class_names
from mets_core.zeroshot.prompts import available_prompt_sets, load_prompt_set
from mets_core.zeroshot.rank import rank
from mets_core.zeroshot.vocabulary import CONTROL_WORDS, phrase_similarities, report_phrases

SERVING_TASKS = ("superclass", "subclass", "form", "rhythm")
CALIBRATION_TASKS = SERVING_TASKS  # the candidate lists the temperature is fitted on (pooled)
SELECTION_SPLIT = "val"  # fold 9
REPORT_SPLIT = "test"  # fold 10


def candidate_templates() -> list[str]:
    """Every distinct template of the shipped prompt sets, in file order (the fold-9 choices)."""
    templates: dict[str, None] = {}
    for name in available_prompt_sets():
        for task_templates in load_prompt_set(name).templates.values():
            templates.update(dict.fromkeys(task_templates))
    return list(templates)


def _all_names(tasks: tuple[str, ...] = SERVING_TASKS) -> list[str]:
    """The plain names of `tasks`, once each (case-insensitive), for one rank call."""
    names: dict[str, str] = {}
    for task in tasks:
        for name in class_names(task):
            names.setdefault(name.lower(), name)
    return list(names.values())


def split_cosines(
    model: LoadedModel,
    root: Path,
    rows: list[PTBXLRow],
    templates: list[str],
    tasks: tuple[str, ...] = SERVING_TASKS,
    transform: Callable[[ECGRecord], ECGRecord] | None = None,
) -> dict[str, dict[str, npt.NDArray[np.float32]]]:
    """Cosines from `rank` for every record, template and task: {template: {task: (N, C)}}.

    Cosines do not depend on which other candidates are ranked with them (no centring), so one
    `rank` call per record and template covers every task.

    Args:
        transform: applied to each record before ranking (e.g. keep only some leads); None: the
            record as read.
    """
    names = _all_names(tasks)
    out = {
        template: {
            task: np.zeros((len(rows), len(TASK_CLASSES[task])), np.float32) for task in tasks
        }
        for template in templates
    }
    for i, row in enumerate(rows):
        record = read_ptbxl_signal(root, row)
        record = record if transform is None else transform(record)
        for template in templates:
            cosine = {r.candidate: r.cosine for r in rank(model, record, names, template)}
            for task in tasks:
                out[template][task][i] = [cosine[n] for n in class_names(task)]
    return out


def single_label(labels: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.bool_], np.ndarray]:
    """(mask of records with exactly one reference class, that class's index for those)."""
    mask = labels.sum(axis=1) == 1
    return mask, labels[mask].argmax(axis=1)


def choose(model: LoadedModel, root: Path, rows: list[PTBXLRow]) -> dict:
    """Fold 9: the served template (best mean macro AUROC) and the fitted temperature."""
    templates = candidate_templates()
    cosines = split_cosines(model, root, rows, templates)
    table = {}
    for template in templates:
        per_task = {
            task: protocol_b(rows, cosines[template][task], task, n_resamples=0)["macro_auroc"]
            for task in SERVING_TASKS
        }
        known = [v for v in per_task.values() if v is not None]  # None: no positive/negative
        table[template] = per_task | {"mean": float(np.mean(known)) if known else 0.0}
    chosen = max(templates, key=lambda t: table[t]["mean"])
    problems = build_problems(calibration_lists(rows, cosines[chosen]), seed=0)
    return {
        "zero_shot_template": chosen,
        "probability_temperature": fit_temperature(pairs(problems, full_only=True)),
        "probability_calibration": choose_calibration(problems),
        "split": SELECTION_SPLIT,
        "n_records": len(rows),
        "criterion": f"mean fold-9 macro AUROC over {', '.join(SERVING_TASKS)} through "
        "mets_core.rank with the plain class names",
        "temperature_criterion": "probability_temperature: lowest fold-9 negative log likelihood "
        f"of the reference class, single-label {' and '.join(CALIBRATION_TASKS)} records, their "
        "plain class names (served by sidecars without probability_calibration); "
        "probability_calibration: the temperature rule rank serves, T(K) = intercept + "
        "slope_per_log_k * ln K for K candidates, chosen among "
        "evaluate.calibration.TEMPERATURE_RULES by fold-9 cross-validation (its decision)",
        "fold9_macro_auroc": table,
    }


def calibration_lists(
    rows: list[PTBXLRow], cosines: dict[str, npt.NDArray[np.float32]]
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """{task: (cosines (N, C), reference index (N,), ecg_id (N,))} of the single-label records.

    Args:
        cosines: {task: (len(rows), C)} from `split_cosines` for one template.
    """
    ids = np.array([row.ecg_id for row in rows])
    out = {}
    for task in CALIBRATION_TASKS:
        mask, truth = single_label(label_matrix(rows, task))
        out[task] = (cosines[task][mask], truth, ids[mask])
    return out


def choose_vocabulary(model: LoadedModel, index: PTBXLIndex) -> dict:
    """The training phrases and the known-words threshold (fold 9 against fixed control words).

    Positives: phrases of fold-9 original reports (translated), written by clinicians and devices,
    that do not occur verbatim in training. Negatives: `vocabulary.CONTROL_WORDS`. The threshold
    maximises balanced accuracy; the phrases come from the same report source as training.
    """
    statements = load_scp_statements(index.root)
    source = model.weights.provenance.get("report_source", "generated")
    _, reports = rows_with_reports(split_rows(index, "train"), source, statements)
    phrases = report_phrases(reports)
    seen = {p.casefold() for p in phrases}
    _, held_out = rows_with_reports(split_rows(index, SELECTION_SPLIT), "original", statements)
    positives = [p for p in report_phrases(held_out) if p.casefold() not in seen]
    if not phrases or not positives:
        raise DataError("No training or fold-9 report phrases to place the known-words threshold.")
    _, pos = phrase_similarities(model, positives, phrases)
    _, neg = phrase_similarities(model, list(CONTROL_WORDS), phrases)
    grid = np.round(np.linspace(0.0, 1.0, 201), 3)
    balanced = [((pos >= t).mean() + (neg < t).mean()) / 2 for t in grid]
    best = int(np.argmax(balanced))
    return {
        "phrases": phrases,
        "report_source": source,
        "threshold": float(grid[best]),
        "balanced_accuracy": float(balanced[best]),
        "fold9_phrases_known": float((pos >= grid[best]).mean()),
        "control_words_known": float((neg >= grid[best]).mean()),
        "n_fold9_phrases": len(positives),
        "criterion": "highest balanced accuracy between fold-9 original report phrases not seen "
        "verbatim in training and fixed everyday control words, frozen-LM cosine to the closest "
        "training phrase",
    }


def with_selection(model: LoadedModel, selection: dict) -> LoadedModel:
    """The same model serving `selection` (as it will after `write_selection` and a reload)."""
    config = replace(model.config, zero_shot_template=selection["zero_shot_template"])
    return replace(model, config=config, weights=replace(model.weights, selection=selection))


def report(
    model: LoadedModel, root: Path, rows: list[PTBXLRow], n_bootstrap: int, seed: int
) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Fold 10 with the model's defaults, exactly as `rank` serves them: AUROC and calibration.

    Returns:
        (numbers per task, the Explore page's predictions table per task).
    """
    numbers, tables = {}, {}
    for task in SERVING_TASKS:
        task_rows = [row for row in rows if row.labels.get(task)]  # as protocol B and Explore
        table = predict_rows(model, root, task_rows, task)
        codes = list(TASK_CLASSES[task])
        labels = label_matrix(task_rows, task)
        cosines = cosine_matrix(table, codes)
        result = {"macro_auroc": protocol_b(task_rows, cosines, task, n_bootstrap, seed)}
        if task in CALIBRATION_TASKS:
            mask, truth = single_label(labels)
            served = probability_matrix(table, codes)[mask]
            result["calibration"] = {
                "served": top1_calibration(served, truth),
                "training_temperature": top1_calibration(
                    softmax(cosines[mask], model.temperature), truth
                ),
            }
            if n_bootstrap and task in TARGET_TASKS:
                noise = ece_interval(served, truth, n_bootstrap, seed)
                ece = result["calibration"]["served"]["expected_calibration_error"]
                target = target_verdict(ece, noise["perfect_calibration_ece"]["p95"])
                result["calibration"] |= {"served_noise": noise, "target": target}
        numbers[task], tables[task] = result, table
    return numbers, tables


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mets select", description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=None, help="weights stem (default: the shipped weights)")
    p.add_argument("--data", default="../shared/data/ptb-xl", help="PTB-XL folder")
    p.add_argument("--out", default="results", help="writes serving.json and serving_<task>.csv")
    p.add_argument("--write", action="store_true", help="store the fold-9 choices in the sidecar")
    p.add_argument("--n-bootstrap", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--max-records", type=int, default=None, help="first N per split (smoke runs)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Choose on fold 9, report fold 10, write results (and the sidecar with --write)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    try:
        model = load_model(args.weights, args.device)
        root = Path(args.data)
        index = load_ptbxl_index(root)
        val, test = split_rows(index, SELECTION_SPLIT), split_rows(index, REPORT_SPLIT)
        val, test = val[: args.max_records], test[: args.max_records]
        if not val or not test:
            raise DataError(f"{root} has no fold-9 or no fold-10 records.")
        selection = choose(model, index.root, val)
        selection["vocabulary"] = choose_vocabulary(model, index)
        selection |= {
            "command": "mets select " + " ".join(argv if argv is not None else sys.argv[1:]),
            "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
        served = with_selection(model, selection)
        numbers, tables = report(served, index.root, test, args.n_bootstrap, args.seed)
    except METSError as error:
        print(f"mets select: {error}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "weights": {"name": model.weights.name, "sha256": model.weights.sha256},
        "selection": selection,
        "fold10": numbers,
        "machine": describe_device(model.device),
        "data": str(root),
        "wall_time_s": round(time.perf_counter() - started, 1),
    }
    (out / "serving.json").write_text(json.dumps(payload, indent=2) + "\n")
    for task, table in tables.items():
        table.to_csv(out / f"serving_{task}.csv", index=False, float_format="%.5f")
    if args.write:
        write_selection(
            args.weights or model.weights.path, selection["zero_shot_template"], selection
        )
    _print_summary(selection, numbers)
    return 0


def _print_summary(selection: dict, numbers: dict) -> None:
    vocabulary = selection["vocabulary"]
    print(
        f"served template (fold 9): {selection['zero_shot_template']!r}; "
        f"probability calibration {_describe_rule(selection)}; known-words "
        f"threshold {vocabulary['threshold']:.3f} ({len(vocabulary['phrases'])} training phrases; "
        f"fold-9 phrases known {vocabulary['fold9_phrases_known']:.0%}, control words known "
        f"{vocabulary['control_words_known']:.0%})"
    )
    for task, result in numbers.items():
        auroc = result["macro_auroc"]
        value = "n/a" if auroc["macro_auroc"] is None else f"{auroc['macro_auroc']:.3f}"
        line = f"fold 10 {task:10s} macro AUROC {value} (n={auroc['n_records']})"
        calibration = result.get("calibration")
        if calibration:
            before, after = calibration["training_temperature"], calibration["served"]
            line += (
                f"; top-1 right {after['top1_accuracy']:.0%}, shown "
                f"{before['mean_top1_probability']:.0%} -> {after['mean_top1_probability']:.0%}, "
                f"ECE {before['expected_calibration_error']:.3f} -> "
                f"{after['expected_calibration_error']:.3f}"
            )
        print(line)
        if calibration and "target" in calibration:
            ci = calibration["served_noise"]["ci95"]
            print(f"  ECE 95 % interval [{ci[0]:.3f}, {ci[1]:.3f}]; target {calibration['target']}")


def _describe_rule(selection: dict) -> str:
    rule = selection.get("probability_calibration")
    if not rule:
        return f"temperature {selection['probability_temperature']:.4f}"
    shape = (
        f"T(K) = {rule['intercept']:.4f} {rule['slope_per_log_k']:+.4f} ln K for K candidates"
        if rule["slope_per_log_k"]
        else f"one temperature {rule['intercept']:.4f} for every list"
    )
    return f"{shape} ({rule['fitted_by']}, chosen by cross-validation within fold 9)"


if __name__ == "__main__":
    raise SystemExit(main())
