"""`mets evaluate`: every number the project publishes, in one run (issue 5, METHOD.md section 2).

mets evaluate --weights weights/mets_resnet18 --data ../shared/data --task all --out results/

For each `--weights` (one per pretraining seed): choose the prompt set on fold 9 (never fold 10),
then report on fold 10 the benchmark protocol (B: multilabel macro AUROC with bootstrap CIs) and
the METS protocol (A: balanced five-class sets) for every prompt set, the fold-9 choice marked,
and MIT-BIH beats. Beside them, through `mets_core.rank` with the served defaults (reporting only):
the cinc-external sites (rhythm, AF, the classes shared with PTB-XL) and fold-10 rhythm and
superclass AUROC with 12 / 6 limb / 2 / 1 leads (`evaluate.served_rows`; `--served-only` adds
just these to an existing OUT/evaluation.json). Baselines in the same run: the random-init
encoder (zero-shot floor), linear probes on frozen features (ours and random-init; 1/10/100% of
fold 1-8 labels) and a supervised ResNet1d-18 (ceiling). Writes results/evaluation.json,
balanced_sets.json, mitbih_beats.json, predictions_<task>.csv and README.md.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mets_core.data.mitbih import BEAT_WINDOW_S, beat_windows, sample_beats
from mets_core.data.ptbxl import TASKS, load_ptbxl_index, split_rows
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import DataError, METSError
from mets_core.evaluate import baselines
from mets_core.evaluate import report as eval_report
from mets_core.evaluate.protocols import (
    PROTOCOL_A_CLASSES,
    SELECTION_SPLIT,
    balanced_set,
    class_embeddings,
    cosine_scores,
    load_split,
    multiclass_from_scores,
    protocol_a,
    protocol_b,
    select_prompt_set,
)
from mets_core.evaluate.served_rows import served_rows
from mets_core.model.embed import embed_signals
from mets_core.model.load import LoadedModel, load_model
from mets_core.zeroshot.prompts import (
    MITBIH_CLASSES,
    MITBIH_TASK,
    PAPER_PROMPT_SET,
    available_prompt_sets,
    load_prompt_set,
)


@dataclass(frozen=True)
class Context:
    """Everything shared by the models evaluated in one run."""

    args: argparse.Namespace
    tasks: tuple[str, ...]
    data: dict  # split -> SplitData
    balanced: dict  # task -> BalancedSet
    beats: object | None  # BeatSample
    beat_signals: np.ndarray | None  # (N, L, T)
    prompt_sets: list
    ptbxl_root: Path | None = None  # for the served rows; None: leave them out
    external: Path | None = None  # the cinc-external folder; None: leave it out


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mets evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--weights", nargs="+", default=[], help="weights stems, one per seed")
    p.add_argument("--data", default="../shared/data", help="folder with ptb-xl/ and mit-bih/")
    p.add_argument("--task", default="all", choices=("all", *TASKS))
    p.add_argument("--out", default="results")
    p.add_argument("--select-on", default=SELECTION_SPLIT, help="must be val (fold 9)")
    p.add_argument("--prompt-sets", nargs="+", default=available_prompt_sets())
    p.add_argument("--n-bootstrap", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--per-class", type=int, default=200, help="protocol A records per class")
    p.add_argument("--beats-per-class", type=int, default=100)
    p.add_argument("--beat-window-s", type=float, default=BEAT_WINDOW_S)
    p.add_argument("--supervised-epochs", type=int, default=10, help="0 skips the ceiling")
    p.add_argument("--probe-fractions", type=float, nargs="+", default=baselines.PROBE_FRACTIONS)
    p.add_argument("--no-baselines", action="store_true", help="zero-shot of --weights only")
    p.add_argument("--cache-dir", default="runs/cache")
    p.add_argument("--device", default="auto")
    p.add_argument("--render-only", action="store_true", help="rewrite OUT/README.md from JSON")
    p.add_argument(
        "--external",
        default=None,
        help="cinc-external folder (default: DATA/cinc-external when it exists; 'none' skips)",
    )
    p.add_argument("--no-served-rows", action="store_true", help="skip cinc-external and leads")
    p.add_argument(
        "--served-only",
        action="store_true",
        help="only the served rows, added to the runs of OUT/evaluation.json (same weights)",
    )
    return p.parse_args(argv)


def data_folders(data: str) -> tuple[Path, Path | None]:
    """(PTB-XL folder, MIT-BIH folder or None) from a shared-data folder or a PTB-XL folder."""
    root = Path(data)
    if (root / "scp_statements.csv").is_file():
        return root, None
    if not (root / "ptb-xl" / "scp_statements.csv").is_file():
        raise DataError(f"Expected {root}/ptb-xl/scp_statements.csv (or a PTB-XL folder).")
    mitbih = root / "mit-bih"
    return root / "ptb-xl", mitbih if (mitbih / "RECORDS").is_file() else None


def external_folder(args: argparse.Namespace) -> Path | None:
    """The cinc-external folder to report on, or None (absent, or --external none)."""
    if args.external is not None:
        return None if args.external.lower() == "none" else Path(args.external)
    root = Path(args.data)
    folder = root / "cinc-external" if (root / "ptb-xl").is_dir() else root.parent / "cinc-external"
    return folder if folder.is_dir() else None


def build_context(args: argparse.Namespace, model: LoadedModel) -> Context:
    """Load splits, draw balanced sets and MIT-BIH beats (all seeded), read the prompt sets."""
    if args.select_on != SELECTION_SPLIT:
        raise DataError(
            f"--select-on {args.select_on}: prompts and checkpoints are chosen on fold 9 "
            "(--select-on val) only; fold 10 is reserved for the final report."
        )
    ptbxl, mitbih = data_folders(args.data)
    index = load_ptbxl_index(ptbxl)
    splits = ("train", "val", "test") if not args.no_baselines else ("val", "test")
    data = {s: load_split(ptbxl, index, s, model.config, args.cache_dir) for s in splits}
    tasks = TASKS if args.task == "all" else (args.task,)
    balanced = {
        t: balanced_set(data["test"].rows, t, args.per_class, args.seed)
        for t in tasks
        if t in PROTOCOL_A_CLASSES
    }
    beats = signals = None
    if mitbih is not None:
        beats = sample_beats(mitbih, args.beats_per_class, args.seed, args.beat_window_s)
        signals = beat_windows(mitbih, beats.beats, model.config.preprocess, args.beat_window_s)
    sets = [load_prompt_set(name) for name in args.prompt_sets]
    served = not args.no_served_rows
    external = external_folder(args) if served else None
    root = index.root if served else None
    return Context(args, tasks, data, balanced, beats, signals, sets, root, external)


def score_all(ctx: Context, scores: dict[str, np.ndarray], beat_scores=None) -> dict:
    """Protocols B and A (and MIT-BIH) from test-split scores per task (N, C)."""
    rows = ctx.data["test"].rows
    out = {
        "protocol_b": {
            t: protocol_b(rows, scores[t], t, ctx.args.n_bootstrap, ctx.args.seed)
            for t in ctx.tasks
        },
        "protocol_a": {t: protocol_a(rows, scores[t], t, b) for t, b in ctx.balanced.items()},
    }
    if beat_scores is not None:
        truth = np.array([MITBIH_CLASSES.index(b.symbol) for b in ctx.beats.beats])
        out["mitbih"] = multiclass_from_scores(truth, beat_scores, MITBIH_CLASSES)
    return out


def zero_shot(ctx: Context, model: LoadedModel, emb: dict, prompt_set) -> tuple[dict, dict]:
    """One prompt set: (results, raw scores {task: (N, C)}) on the test split and the beats."""
    scores = {
        t: cosine_scores(emb["test"], class_embeddings(model, prompt_set, t, TASK_CLASSES[t]))
        for t in ctx.tasks
    }
    beat_scores = None
    if emb.get("beats") is not None:
        classes = class_embeddings(model, prompt_set, MITBIH_TASK, MITBIH_CLASSES)
        beat_scores = scores[MITBIH_TASK] = cosine_scores(emb["beats"], classes)
    result = score_all(ctx, {t: scores[t] for t in ctx.tasks}, beat_scores)
    return {"prompt_set": prompt_set.tag, **result}, scores


def embed(ctx: Context, model: LoadedModel) -> dict[str, torch.Tensor | None]:
    """Unit-norm ECG embeddings of the val and test splits and the MIT-BIH beats."""
    out = {
        s: embed_signals(model.module, ctx.data[s].signals, model.device) for s in ("val", "test")
    }
    beats = ctx.beat_signals
    out["beats"] = None if beats is None else embed_signals(model.module, beats, model.device)
    return out


def evaluate_weights(ctx: Context, model: LoadedModel) -> tuple[dict, dict]:
    """Fold-9 prompt choice, then every prompt set on fold 10; returns (report, chosen scores)."""
    emb = embed(ctx, model)
    selection = select_prompt_set(model, emb["val"], ctx.data["val"], ctx.prompt_sets, ctx.tasks)
    results, chosen_scores = {}, {}
    for prompt_set in ctx.prompt_sets:
        results[prompt_set.name], scores = zero_shot(ctx, model, emb, prompt_set)
        if prompt_set.name == selection["chosen"]:
            chosen_scores = scores
    report = {"weights": eval_report.weights_summary(model), "selection": selection}
    report |= {"zero_shot": results}
    if ctx.ptbxl_root is not None:
        test = ctx.data["test"].rows
        args = ctx.args
        report["served"] = served_rows(
            model, ctx.ptbxl_root, test, ctx.external, args.n_bootstrap, args.seed
        )
    return report, chosen_scores


def run_baselines(ctx: Context, model: LoadedModel, chosen: str) -> dict:
    """Random-init zero-shot floor, linear probes (ours, random-init), supervised ceiling."""
    args = ctx.args
    random_model = load_model(
        None, args.device, random_init=True, config=model.config, seed=args.seed
    )
    paper_and_chosen = [s for s in ctx.prompt_sets if s.name in (chosen, PAPER_PROMPT_SET)]
    emb = embed(ctx, random_model)
    out = {
        "random_init_zero_shot": {
            s.name: zero_shot(ctx, random_model, emb, s)[0] for s in paper_and_chosen
        }
    }
    out["linear_probe"] = {
        name: probe_results(ctx, m) for name, m in (("mets", model), ("random_init", random_model))
    }
    if args.supervised_epochs > 0:
        out["supervised"] = supervised_results(ctx, model)
    return out


def probe_results(ctx: Context, model: LoadedModel) -> dict:
    """Linear probes on the frozen tower: {fraction: {"protocol_b", "protocol_a", "probe"}}."""
    tower = model.module.ecg_encoder
    feats = {
        s: baselines.encoder_features(tower, d.signals, model.device) for s, d in ctx.data.items()
    }
    out = {}
    for fraction in ctx.args.probe_fractions:
        scores, info = {}, {}
        for task in ctx.tasks:
            scores[task], info[task] = baselines.linear_probe(
                feats, ctx.data, task, fraction, ctx.args.seed
            )
        out[f"{fraction:g}"] = score_all(ctx, scores) | {"probe": info}
    return out


def supervised_results(ctx: Context, model: LoadedModel) -> dict:
    """The supervised ceiling, same tower as `model` (trained once per data/settings, cached)."""
    device = model.device
    supervised, info = baselines.supervised_baseline(
        ctx.data["train"],
        ctx.data["val"],
        TASKS,
        ctx.args.supervised_epochs,
        ctx.args.seed,
        device,
        ctx.args.cache_dir,
        model.config.ecg,
    )
    scores = baselines.supervised_scores(supervised, ctx.data["test"], TASKS, device)
    return score_all(ctx, scores) | {"training": info}


def served_only(args: argparse.Namespace) -> int:
    """Add the served rows of each --weights to the matching run of OUT/evaluation.json."""
    out = Path(args.out)
    try:
        if not args.weights:
            raise DataError("Give --weights (the weights whose served rows to add).")
        report = eval_report.read_report(out)
        ptbxl, _ = data_folders(args.data)
        index = load_ptbxl_index(ptbxl)
        test = split_rows(index, "test")
        for weights in args.weights:
            model = load_model(weights, args.device)
            run = eval_report.run_for_weights(report, model.weights.sha256)
            run["served"] = served_rows(
                model, index.root, test, external_folder(args), args.n_bootstrap, args.seed
            )
            print(eval_report.served_line(run), flush=True)
    except METSError as error:
        print(f"mets evaluate: {error}", file=sys.stderr)
        return 2
    eval_report.write_report(out, report)
    return eval_report.rerender(out)


def main(argv: list[str] | None = None) -> int:
    """Parse, evaluate every checkpoint, add baselines, write JSON/CSV/README; 2 on bad input."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.render_only:
        return eval_report.rerender(Path(args.out))
    if args.served_only:
        return served_only(args)
    try:
        if not args.weights:
            raise DataError("Give --weights (one weights stem per pretraining seed).")
        models = [load_model(w, args.device) for w in args.weights]
        ctx = build_context(args, models[0])
        runs, first_scores = [], None
        for model in models:
            report, scores = evaluate_weights(ctx, model)
            runs.append(report)
            first_scores = first_scores or scores
            print(eval_report.summary_line(report), flush=True)
            if "served" in report:
                print(eval_report.served_line(report), flush=True)
        base = (
            {}
            if args.no_baselines
            else run_baselines(ctx, models[0], runs[0]["selection"]["chosen"])
        )
        report = eval_report.build_report(argv, ctx, runs, base)
        written = eval_report.write_outputs(Path(args.out), report, ctx, models[0], first_scores)
    except METSError as error:
        print(f"mets evaluate: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
