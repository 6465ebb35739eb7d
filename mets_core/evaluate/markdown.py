"""results/README.md, rendered from the JSON report of `mets evaluate` beside published numbers.

Published numbers are from METHOD.md section 3: METS (Li et al., MIDL 2023, Tables 1-4; its
"accuracy" is most likely the one-vs-rest mean), MERL (ICML 2024, zero-shot macro AUROC on the full
PTB-XL fold 10) and the supervised ResNet/xresnet ceiling of Strodthoff et al. 2021 (100 Hz).
"""

from __future__ import annotations

from mets_core.zeroshot.prompts import PAPER_PROMPT_SET

PAPER_METS = {  # acc (one-vs-rest?) / macro precision / recall / F1; METS zero-shot, supervised
    "superclass": ((0.842, 0.694, 0.626, 0.657), (0.894, 0.811, 0.745, 0.776)),
    "form": ((0.734, 0.537, 0.503, 0.518), (0.724, 0.520, 0.508, 0.509)),
    "rhythm": ((0.746, 0.576, 0.612, 0.593), (0.790, 0.664, 0.607, 0.633)),
    "mitbih": ((0.794, 0.680, 0.735, 0.706), (0.836, 0.697, 0.712, 0.704)),
}
MERL_AUROC = {"superclass": 0.742, "subclass": 0.757, "form": 0.659, "rhythm": 0.785}
SUPERVISED_AUROC = {"superclass": 0.930, "subclass": 0.930, "form": 0.899, "rhythm": 0.957}


def _f(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _auroc_cell(result: dict) -> str:
    ci = result.get("ci95")
    text = _f(result["macro_auroc"])
    return f"{text} [{_f(ci[0])}-{_f(ci[1])}]" if ci else text


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _provenance(meta: dict, split: str) -> str:
    return (
        f"*Command:* `{meta['command']}` - *data:* `{meta['data']}` - *split:* {split} - "
        f"*seed:* {meta['seed']} - *machine:* {meta['machine']} ({meta['device']}) - "
        f"*date:* {meta['date_utc']}"
    )


def _methods(report: dict) -> list[tuple[str, dict]]:
    """(label, results with protocol_b / protocol_a / mitbih) for every method of the report."""
    first = report["runs"][0]
    chosen = first["selection"]["chosen"]
    out = [
        (f"METS ours, zero-shot, prompts `{chosen}` (chosen on fold 9)", first["zero_shot"][chosen])
    ]
    if chosen != PAPER_PROMPT_SET and PAPER_PROMPT_SET in first["zero_shot"]:
        out.append(("METS ours, zero-shot, paper prompts", first["zero_shot"][PAPER_PROMPT_SET]))
    base = report.get("baselines", {})
    for name, result in base.get("random_init_zero_shot", {}).items():
        out.append((f"random-init encoder, zero-shot, prompts `{name}` (floor)", result))
    for encoder, fractions in base.get("linear_probe", {}).items():
        for fraction, result in fractions.items():
            label = "ours" if encoder == "mets" else "random-init"
            out.append(
                (f"linear probe on {label} features, {float(fraction):.0%} of folds 1-8", result)
            )
    if "supervised" in base:
        epoch = base["supervised"]["training"].get("best_epoch")
        out.append(
            (
                f"supervised ResNet1d-18, folds 1-8 (ceiling; epoch {epoch} by fold 9)",
                base["supervised"],
            )
        )
    return out


def protocol_b_section(report: dict) -> list[str]:
    tasks = list(
        report["runs"][0]["zero_shot"][report["runs"][0]["selection"]["chosen"]]["protocol_b"]
    )
    rows = [
        [label] + [_auroc_cell(r["protocol_b"][t]) for t in tasks] for label, r in _methods(report)
    ]
    if "supervised" not in report.get("baselines", {}):
        rows.append(
            ["supervised ResNet1d-18: not run (--supervised-epochs 0)"] + ["-"] * len(tasks)
        )
    rows.append(
        ["MERL zero-shot (paper, ~770k pairs, full fold 10)"]
        + [_f(MERL_AUROC.get(t)) for t in tasks]
    )
    rows.append(
        ["supervised, Strodthoff 2021 (full PTB-XL)"] + [_f(SUPERVISED_AUROC.get(t)) for t in tasks]
    )
    agg = report["aggregate"]["chosen"]
    spread = [
        f"{t} {_f(agg[f'protocol_b_{t}']['mean'])} +- {_f(agg[f'protocol_b_{t}']['sd'])} "
        f"(n={agg[f'protocol_b_{t}']['n']})"
        for t in tasks
    ]
    counts = report["runs"][0]["zero_shot"]
    n = {t: next(iter(counts.values()))["protocol_b"][t]["n_records"] for t in tasks}
    return [
        "## Benchmark protocol (B): zero-shot multilabel macro AUROC, PTB-XL fold 10",
        "",
        "Raw cosine scores; [95% bootstrap interval, "
        f"{report['meta']['n_bootstrap']} resamples]. "
        f"Records labelled per task: {n}. Classes without a positive and a negative are skipped "
        "(listed below).",
        "",
        *_table(["method", *tasks], rows),
        "",
        f"Over {len(report['runs'])} checkpoint(s), fold-9 prompt choice: "
        + "; ".join(spread)
        + ".",
        "",
        _provenance(report["meta"], "fold 10 (test); prompts and epochs chosen on fold 9"),
        "",
    ]


def per_class_section(report: dict) -> list[str]:
    run = report["runs"][0]
    result = run["zero_shot"][run["selection"]["chosen"]]["protocol_b"]
    lines = ["## Per-class zero-shot AUROC (first checkpoint, fold-9 prompt choice)", ""]
    for task, r in result.items():
        cells = [f"{c} {_f(a, 2)} (n+={r['n_positive'][c]})" for c, a in r["per_class"].items()]
        lines.append(f"- **{task}**: " + ", ".join(cells) + ".")
        if r["skipped"]:
            lines.append(
                f"  Skipped (no positive or no negative in fold 10): {', '.join(r['skipped'])}."
            )
    return lines + [""]


def selection_section(report: dict) -> list[str]:
    lines = ["## Prompt choice on fold 9 (validation) - the only split anything is chosen on", ""]
    for run in report["runs"]:
        table = run["selection"]["fold9_macro_auroc"]
        tasks = [t for t in next(iter(table.values())) if t != "mean"]
        rows = [[name] + [_f(v[t]) for t in tasks] + [_f(v["mean"])] for name, v in table.items()]
        lines += [
            f"{run['weights']['name']}: chosen **{run['selection']['chosen']}** "
            f"({run['selection']['criterion']}).",
            "",
            *_table(["prompt set", *tasks, "mean"], rows),
            "",
        ]
        test = [
            [n, *[_f(r["protocol_b"][t]["macro_auroc"]) for t in tasks]]
            for n, r in run["zero_shot"].items()
        ]
        lines += [
            "Every prompt set on fold 10, for information only (not used to choose):",
            "",
            *_table(["prompt set", *tasks], test),
            "",
        ]
    return lines


def _multiclass_row(label: str, m: dict) -> list[str]:
    keys = (
        "top1_accuracy",
        "one_vs_rest_mean_accuracy",
        "macro_precision",
        "macro_recall",
        "macro_f1",
    )
    return [label] + [_f(m[k]) for k in keys]


def protocol_a_section(report: dict) -> list[str]:
    header = ["method", "top-1 acc", "one-vs-rest mean acc", "macro P", "macro R", "macro F1"]
    lines = ["## METS protocol (A): balanced five-class sets, fold 10 only", ""]
    for task, info in report["balanced_sets"].items():
        rows = [_multiclass_row(label, r["protocol_a"][task]) for label, r in _methods(report)]
        zs, sup = PAPER_METS[task]
        rows.append(
            ["METS paper zero-shot (sets likely overlap its pretraining)", "-", *map(_f, zs)]
        )
        rows.append(["METS paper supervised ResNet18, 100% labels", "-", *map(_f, sup)])
        lines += [
            f"### {task}: classes {', '.join(info['classes'])}",
            "",
            f"Records per class drawn {info['drawn']} of available single-label fold-10 records "
            f"{info['available']} (target {info['per_class_target']}).",
            "",
            *_table(header, rows),
            "",
            _provenance(report["meta"], "fold 10 (test)"),
            "",
        ]
    return lines + [
        "On the local fold 10 most classes have far fewer than 200 single-label records, so the "
        "sets are capped at 200 per class rather than balanced: top-1 and one-vs-rest accuracy are "
        "dominated by the largest class (NORM, SR); macro P/R/F1 weigh every class equally but "
        "rest on a handful of records for the small classes.",
        "",
        "The paper's accuracy is shown in the one-vs-rest column: on a balanced set "
        "top-1 accuracy equals macro recall, which its numbers contradict.",
        "",
    ]


def mitbih_section(report: dict) -> list[str]:
    if not report.get("mitbih"):
        return []
    info = report["mitbih"]
    rows = [_multiclass_row(label, r["mitbih"]) for label, r in _methods(report) if "mitbih" in r]
    rows.append(["METS paper zero-shot", "-", *map(_f, PAPER_METS["mitbih"][0])])
    rows.append(
        [
            "METS paper supervised ResNet18 (fine-tuned on MIT-BIH)",
            "-",
            *map(_f, PAPER_METS["mitbih"][1]),
        ]
    )
    header = ["method", "top-1 acc", "one-vs-rest mean acc", "macro P", "macro R", "macro F1"]
    return [
        "## MIT-BIH beats (N, LBBB, RBBB, A, V), zero-shot",
        "",
        f"{info['drawn']} beats drawn of {info['available']} eligible (paced records 102, 104, "
        f"107, 217 excluded); each a {info['window_s']:g} s window centred on the annotated beat, "
        "MLII as II plus the record's V lead by name, other leads zero, 360 -> 100 Hz by "
        "`preprocess_for_model`, zero-padded to 10 s. Probes and the supervised model are "
        "trained on PTB-XL labels, which have no beat classes, so they have no row here.",
        "",
        *_table(header, rows),
        "",
        _provenance(report["meta"], "MIT-BIH, all beats are test data"),
        "",
    ]


def confusion_section(report: dict) -> list[str]:
    run = report["runs"][0]
    result = run["zero_shot"][run["selection"]["chosen"]]
    lines = ["## Confusion matrices (first checkpoint, fold-9 prompt choice; rows = truth)", ""]
    blocks = [(t, m) for t, m in result["protocol_a"].items()]
    blocks += [("mitbih", result["mitbih"])] if "mitbih" in result else []
    for task, m in blocks:
        names = m["class_names"]
        rows = [[n, *map(str, row)] for n, row in zip(names, m["confusion_matrix"], strict=True)]
        lines += [f"**{task}**", "", *_table(["truth \\ predicted", *names], rows), ""]
    return lines


def served_section(report: dict) -> list[str]:
    """Other sites (cinc-external) and fewer leads, per checkpoint, as `rank` serves them."""
    runs = [r for r in report["runs"] if r.get("served")]
    if not runs:
        return []
    lines = [
        "## Served path: other sites and fewer leads (reporting only)",
        "",
        "Through `mets_core.rank` with the plain class names and the weights' served (fold-9) "
        "template, the numbers a user gets. Nothing is chosen on these rows.",
        "",
    ]
    external = [(r["weights"]["name"], r["served"].get("cinc_external")) for r in runs]
    external = [(name, e) for name, e in external if e]
    if external:
        shared = list(external[0][1]["shared"]["n_positive"])
        header = ["weights", "rhythm macro", "AF", "shared macro", *shared]
        rows = [
            [
                name,
                _auroc_cell(e["rhythm"]),
                _auroc_cell(e["af"]),
                _auroc_cell(e["shared"]),
                *[_f(e["shared"]["per_class"].get(code)) for code in shared],
            ]
            for name, e in external
        ]
        first = external[0][1]
        sites = ", ".join(f"{k} {v}" for k, v in first["n_records_by_site"].items())
        lines += [
            "**cinc-external** (PhysioNet/CinC 2020-21 records from other sites; SNOMED-CT codes "
            "mapped by `mets_core/data/cinc_snomed.py`). Rhythm: the 12 PTB-XL rhythm classes "
            f"over the {first['rhythm']['n_records']} records with a rhythm code; AF alone on "
            "the same records. Shared classes: one-vs-rest over all "
            f"{first['shared']['n_records']} readable records (positives: "
            + ", ".join(f"{k} {v}" for k, v in first["shared"]["n_positive"].items())
            + f"). Records: {sites}; unreadable: {len(first['unreadable'])}.",
            "",
            *_table(header, rows),
            "",
        ]
    subsets = list(runs[0]["served"]["lead_subsets_fold10"])
    rows = []
    for run in runs:
        for task in ("rhythm", "superclass"):
            cells = [_auroc_cell(run["served"]["lead_subsets_fold10"][s][task]) for s in subsets]
            rows.append([run["weights"]["name"], task, *cells])
    inputs = runs[0]["served"]["lead_subsets_fold10"]
    lines += [
        "**Fold 10 with fewer leads.** A record keeps only these leads and is then read as a "
        "file with only them would be: missing limb leads derived when two are present, the rest "
        "set to zero by `preprocess_for_model`. "
        + "; ".join(f"{s}: {inputs[s]['model_input']}" for s in subsets)
        + ".",
        "",
        *_table(["weights", "task", *subsets], rows),
        "",
    ]
    return lines


def render_markdown(report: dict) -> str:
    """The whole results/README.md as text."""
    meta = report["meta"]
    weights = ", ".join(
        f"{r['weights']['name']} (sha256 {str(r['weights']['sha256'])[:12]})"
        for r in report["runs"]
    )
    head = [
        "# Results",
        "",
        "Generated by `mets evaluate` from `evaluation.json` in this folder; "
        "do not edit by hand, rerun the command.",
        "",
        f"Weights: {weights}. Prompt sets: {', '.join(meta['prompt_sets'])}. "
        f"Records per split: {meta['records_per_split']} (the local PTB-XL copy is partial: "
        "ecg_id 1-1999, so fold 10 holds ~255 records, not 2,158; these numbers are not directly "
        "comparable with the papers' full-fold-10 numbers).",
        "",
        "Per-record predictions for the app's failure explorer: `predictions_<task>.csv` "
        "(ecg_id, true labels, top-5 candidates with cosines, relative probabilities). "
        "Balanced-set ids: `balanced_sets.json`; MIT-BIH beats: `mitbih_beats.json`.",
        "",
    ]
    sections = (
        protocol_b_section,
        served_section,
        per_class_section,
        selection_section,
        protocol_a_section,
        mitbih_section,
        confusion_section,
    )
    return "\n".join(head + [line for s in sections for line in s(report)]) + "\n"
