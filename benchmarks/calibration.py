"""Calibration methods for `rank`'s probabilities, chosen on fold 9 only, reported on fold 10.

    .venv/bin/python benchmarks/calibration.py --out results/calibration.json

Cosines come from `serving.split_cosines` (through `mets_core.rank` with the plain class names and
the served template), computed once per weights file and cached in .cache/calibration/ by the
weights' SHA-256 and the template. Every method is fitted on fold 9 and compared there by 5-fold
cross-validation over fold-9 records (repeated with several splits); fold 10 is report-only.
Writes OUT (JSON) and OUT with .md (short table).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import logit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from mets_core.data.ptbxl import load_ptbxl_index, split_rows
from mets_core.errors import METSError
from mets_core.evaluate import calibration as cal
from mets_core.evaluate import serving
from mets_core.model.load import LoadedModel, load_model

FIELDS = ("cosines", "truth", "ecg_id")


# ---------------------------------------------------------------- cosines (cached)


def cached_lists(
    model: LoadedModel, root: Path, cache_dir: Path
) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """{split: `serving.calibration_lists`}: cosines, reference index, ecg_id per task."""
    template = model.config.zero_shot_template
    key = hashlib.sha256(f"{model.weights.sha256}|{template}".encode()).hexdigest()[:24]
    path = cache_dir / f"{key}.npz"
    if path.is_file():
        with np.load(path) as stored:
            flat = dict(stored)
    else:
        index = load_ptbxl_index(root)
        flat = {}
        for split in (serving.SELECTION_SPLIT, serving.REPORT_SPLIT):
            rows = split_rows(index, split)
            cosines = serving.split_cosines(model, index.root, rows, [template])[template]
            for task, arrays in serving.calibration_lists(rows, cosines).items():
                for field, value in zip(FIELDS, arrays, strict=True):
                    flat[f"{split}/{task}/{field}"] = value
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.savez(path, **flat)
    return {
        split: {
            task: tuple(flat[f"{split}/{task}/{field}"] for field in FIELDS)
            for task in serving.CALIBRATION_TASKS
        }
        for split in (serving.SELECTION_SPLIT, serving.REPORT_SPLIT)
    }


# ---------------------------------------------------------------- maps of the top answer


def _reshape_top1(probabilities: np.ndarray, top1: np.ndarray) -> np.ndarray:
    """Give the top answer probability `top1` (N,), the others the rest in their old ratios.

    The top answer stays on top (top1 is raised where needed) and each row sums to one.
    """
    out = probabilities.copy()
    n, k = out.shape
    if k == 1:
        return np.ones_like(out)
    rows = np.arange(n)
    best = out.argmax(axis=1)
    p1 = out[rows, best]
    second = np.sort(out, axis=1)[:, -2]
    top1 = np.clip(np.maximum(top1, second / (1.0 - p1 + second)), 0.0, 1.0)
    out *= ((1.0 - top1) / np.maximum(1.0 - p1, 1e-12))[:, None]
    out[rows, best] = top1
    return out / out.sum(axis=1, keepdims=True)


def _top1_data(problems: list[cal.Problem], temperature: float):
    """(base top-1 probability, ln K, top answer right) over every list."""
    p1, log_k, right = [], [], []
    for p in problems:
        base = cal.softmax(p.cosines, temperature)
        p1.append(np.clip(base.max(axis=1), 1e-6, 1 - 1e-6))
        log_k.append(np.full(len(p.truth), np.log(p.cosines.shape[1])))
        right.append(base.argmax(axis=1) == p.truth)
    return np.concatenate(p1), np.concatenate(log_k), np.concatenate(right)


def top1_map_fitter(kind: str) -> cal.Fitter:
    """Platt (logistic on logit p1 and ln K) or isotonic (on p1) map of the top answer's
    probability at the single NLL temperature; the other candidates share the rest."""

    def fit(problems: list[cal.Problem]):
        base = cal.fit_temperature(cal.pairs(problems, full_only=True))
        p1, log_k, right = _top1_data(problems, base)
        if kind == "platt":
            model = LogisticRegression(C=1e4).fit(np.column_stack([logit(p1), log_k]), right)
        else:
            model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p1, right)

        def predict(cosines: np.ndarray) -> np.ndarray:
            probabilities = cal.softmax(cosines, base)
            q1 = np.clip(probabilities.max(axis=1), 1e-6, 1 - 1e-6)
            if kind == "platt":
                features = np.column_stack([logit(q1), np.full(len(q1), np.log(cosines.shape[1]))])
                return _reshape_top1(probabilities, model.predict_proba(features)[:, 1])
            return _reshape_top1(probabilities, model.predict(q1))

        return predict

    return fit


FITTERS: dict[str, cal.Fitter] = {
    **{name: cal.temperature_fitter(name) for name in cal.TEMPERATURE_RULES},
    "platt_top1": top1_map_fitter("platt"),
    "isotonic_top1": top1_map_fitter("isotonic"),
}


def fold10(fit: cal.Fitter, fold9, test, n_resamples: int, seed: int) -> dict:
    """Fitted on all of fold 9, scored on fold 10 (report only), with each full list's noise."""
    predict = fit(fold9)
    predicted = [predict(p.cosines) for p in test]
    out = cal.score_lists(predicted, test)
    for q, p in zip(predicted, test, strict=True):
        if p.full:
            noise = cal.ece_interval(q, p.truth, n_resamples, seed)
            verdict = cal.target_verdict(
                out[p.task]["expected_calibration_error"], noise["perfect_calibration_ece"]["p95"]
            )
            out[p.task] |= noise | {"target": verdict}
    return out


# ---------------------------------------------------------------- report


def render_markdown(payload: dict) -> str:
    """A short table: fold-9 CV (decides) and fold 10 (report only) per method."""
    decision = payload["decision"]
    lines = [
        "# Calibration of rank's probabilities (benchmarks/calibration.py)",
        "",
        f"Command: `{payload['command']}`. Weights {payload['weights']['name']} "
        f"({payload['weights']['sha256'][:12]}), template {payload['template']!r}.",
        f"Fold 9 decides: {cal.CV_FOLDS}-fold cross-validation over records, "
        f"{payload['cv_repeats']} repeats, on each task's single-label records with its full list "
        "and random shorter lists (2..C-1 candidates) that keep the reference class. Fold 10: "
        "fitted on all of fold 9, report only. ECE of the top answer, 10 bins; 95 % bootstrap "
        "interval over records (resampling biases ECE upwards); 'perfect' is the median ECE a "
        "perfectly calibrated model with the same shown probabilities gets on this many records.",
        "",
        f"Rule: {decision['rule']} Lowest CV ECE: {decision['lowest_cv_ece']} "
        f"({decision['repeats_won_against_current']} of {decision['cv_repeats']} repeats below "
        f"today's); **served: {decision['chosen']}**. Platt/isotonic maps of the top answer are "
        f"compared but not servable by the temperature rule (lowest CV ECE including them: "
        f"{payload['decision_including_top1_maps']['lowest_cv_ece']}, "
        f"{payload['decision_including_top1_maps']['repeats_won_against_current']} of "
        f"{decision['cv_repeats']} repeats).",
        "",
        "| method | F9 CV ECE super / rhythm | F9 CV NLL (all lists) | F10 ECE super [95 % CI] "
        "(perfect) | F10 ECE rhythm [95 % CI] (perfect) | F10 ECE shorter lists "
        "| F10 NLL super / rhythm |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, m in payload["methods"].items():
        cv, f10 = m["fold9_cv"], m["fold10"]
        cells = [
            name,
            f"{cv['superclass_ece']['mean']:.3f} / {cv['rhythm_ece']['mean']:.3f}",
            f"{cv['mean_nll_over_lists']['mean']:.3f}",
        ]
        for task in cal.TARGET_TASKS:
            r = f10[task]
            lo, hi = r["ci95"]
            perfect = r["perfect_calibration_ece"]["median"]
            cells.append(
                f"{r['expected_calibration_error']:.3f} [{lo:.3f}, {hi:.3f}] ({perfect:.3f})"
            )
        cells.append(f"{f10['sub_lists']['expected_calibration_error']:.3f}")
        cells.append(f"{f10['superclass']['nll']:.3f} / {f10['rhythm']['nll']:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    chosen = payload["methods"][decision["chosen"]]["fold10"]
    lines += ["", f"Fold 10 with the served rule ({decision['chosen']}):", ""]
    for task in cal.TARGET_TASKS:
        r = chosen[task]
        floor = r["perfect_calibration_ece"]
        lines.append(
            f"- {task}: n={r['n_records']}, top answer right {r['top1_accuracy']:.1%}, shown "
            f"{r['mean_top1_probability']:.1%}; ECE {r['expected_calibration_error']:.3f} "
            f"[{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]; perfectly calibrated: median "
            f"{floor['median']:.3f}, 95th percentile {floor['p95']:.3f}. Target: {r['target']}."
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--weights", default=None, help="weights stem (default: the shipped weights)")
    p.add_argument("--data", default="../shared/data/ptb-xl", help="PTB-XL folder")
    p.add_argument("--out", default="results/calibration.json")
    p.add_argument("--cache-dir", default=".cache/calibration")
    p.add_argument("--cv-repeats", type=int, default=cal.CV_REPEATS)
    p.add_argument("--n-bootstrap", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        model = load_model(args.weights, args.device)
        lists = cached_lists(model, Path(args.data), Path(args.cache_dir))
    except METSError as error:
        print(f"calibration: {error}", file=sys.stderr)
        return 2
    fold9 = cal.build_problems(lists[serving.SELECTION_SPLIT], seed=0)  # as `mets select`
    test = cal.build_problems(lists[serving.REPORT_SPLIT], seed=1)
    cv = {
        name: cal.cross_validate(f, fold9, args.cv_repeats, args.seed)
        for name, f in FITTERS.items()
    }
    # fold 9 only, fixed before any fold-10 number is computed; the same rule as `mets select`
    decision = cal.decide({name: cv[name] for name in cal.TEMPERATURE_RULES})
    methods = {
        name: {
            "parameters": cal.TEMPERATURE_RULES[name](fold9).to_dict()
            if name in cal.TEMPERATURE_RULES
            else None,
            "fold9_cv": cal.summarise_cv(cv[name]),
            "fold10": fold10(fit, fold9, test, args.n_bootstrap, args.seed),
        }
        for name, fit in FITTERS.items()
    }
    payload = {
        "command": "python benchmarks/calibration.py " + " ".join(argv),
        "weights": {"name": model.weights.name, "sha256": model.weights.sha256},
        "template": model.config.zero_shot_template,
        "cv_folds": cal.CV_FOLDS,
        "cv_repeats": args.cv_repeats,
        "target": f"top-1 ECE <= {cal.TARGET_ECE} on fold 10 for {', '.join(cal.TARGET_TASKS)}",
        "decision": decision,
        "decision_including_top1_maps": cal.decide(cv),
        "methods": methods,
        "machine": platform.processor() or platform.machine(),
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "wall_time_s": round(time.perf_counter() - started, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    out.with_suffix(".md").write_text(render_markdown(payload))
    print(render_markdown(payload))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
