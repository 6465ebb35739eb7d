"""The recipe ablation table (issue 13): every weights directory through the served path, once.

For each weights directory: PTB-XL fold-9 and fold-10 zero-shot macro AUROC with the plain class
names through `mets_core.rank`'s defaults (`serving.split_cosines` + `protocols.protocol_b`, the
path behind `mets select` and `results/serving.json`) for superclass, subclass, form and rhythm;
the cinc-external rhythm macro AUROC and AF alone (`evaluate.external`); fold-10 rhythm and
superclass AUROC with 12 / 6 limb / 2 (I, II) / 1 (II) leads (`evaluate.lead_subsets`); with
`mitbih`, the MIT-BIH beat macro F1 of the METS protocol through `rank` (`explore_mitbih`).

FOLD 9 DECIDES. Fold 10, cinc-external, the lead subsets and MIT-BIH are reported only; nothing
is chosen on them. Rows are grouped by recipe (the run name without its `_sN` seed suffix) with
mean and sample sd over seeds. Each weights file is evaluated once: its numbers are cached under
its SHA-256 (with the served template and the cache version), so rerunning the table after a
new run finishes only evaluates the new run.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mets_core.data.ptbxl import load_ptbxl_index, split_rows
from mets_core.errors import DataError
from mets_core.evaluate.explore_mitbih import predict_mitbih_beats
from mets_core.evaluate.external import evaluate_external
from mets_core.evaluate.lead_subsets import LEAD_SUBSET_TASKS, LEAD_SUBSETS, what_the_model_gets
from mets_core.evaluate.protocols import multiclass_from_scores, protocol_b
from mets_core.evaluate.served_rows import served_rows
from mets_core.evaluate.serving import SERVING_TASKS, split_cosines
from mets_core.model.load import LoadedModel, load_model
from mets_core.zeroshot.prompts import MITBIH_CLASSES

CACHE_VERSION = 1  # bump when what a cached entry holds or how it is computed changes
WEIGHTS_STEM = "mets_resnet18"
Log = Callable[[str], None]  # progress lines, e.g. print to stderr
SEED_SUFFIX = re.compile(r"_s(\d+)$")
DECIDES = (
    "fold 9 (PTB-XL strat_fold 9) decides; fold 10, cinc-external, lead subsets and MIT-BIH are "
    "reported only and never used to choose"
)
# Issue 13: an ensemble may ship only while a warm ranking of one 10-s ECG stays under 25 ms on
# the project's 2-core CPU (one torch thread). `benchmarks/bench_rank.py`, 2026-11-30, batch
# norms folded: 3 towers 22.9-24.0 ms, 4 towers 24.9-25.8 ms. A cost rule, not a data choice.
MAX_SERVED_TOWERS = 3


@dataclass(frozen=True)
class RunSpec:
    """One row of the table before evaluation: a name (`recipe_sN`) and a weights stem."""

    name: str
    stem: Path

    @property
    def recipe(self) -> str:
        """The run name without its seed suffix: `robust_s1` -> `robust`."""
        return SEED_SUFFIX.sub("", self.name)


def parse_run(text: str) -> RunSpec:
    """`NAME=DIR` (a folder holding mets_resnet18.safetensors) or `NAME=STEM` -> RunSpec."""
    name, sep, where = text.partition("=")
    if not sep or not name or not where:
        raise DataError(f"Expected NAME=DIR (e.g. robust_s0=runs/robust_s0); got {text!r}.")
    path = Path(where)
    if path.suffix == ".safetensors":
        return RunSpec(name, path.with_suffix(""))
    is_stem = path.with_suffix(".safetensors").is_file()
    return RunSpec(name, path if is_stem else path / WEIGHTS_STEM)


def readiness(spec: RunSpec, require_selection: bool = True) -> str | None:
    """Why the run cannot be evaluated yet (None: ready): missing files, or no fold-9 choice.

    Args:
        require_selection: False also accepts weights whose sidecar has no `mets select` choice
            yet (they serve the training template; the row says so).
    """
    weights, sidecar = spec.stem.with_suffix(".safetensors"), spec.stem.with_suffix(".json")
    if not weights.is_file() or not sidecar.is_file():
        return f"no {weights.name} with its .json sidecar in {spec.stem.parent} (not trained yet)"
    try:
        selection = json.loads(sidecar.read_text()).get("selection")
    except (OSError, json.JSONDecodeError):
        return f"{sidecar} could not be read (being written?)"
    if not selection and require_selection:
        return (
            "no fold-9 selection in its sidecar yet (training or `mets select --write` still "
            "running): the served template is not chosen"
        )
    return None


def measured_by_select(model: LoadedModel, candidates: list[Path]) -> dict | None:
    """Fold-9 and fold-10 numbers from a `mets select` serving.json of these very weights.

    `mets select` computed them through the same path (`split_cosines` / `predict_rows` with the
    plain names, `protocol_b`); they are taken only when the file's weights SHA-256 and served
    template are those of `model`, so nothing is evaluated twice. None when no file matches.
    """
    template = model.config.zero_shot_template
    for path in candidates:
        try:
            serving = json.loads(path.read_text())
            same = serving["weights"]["sha256"] == model.weights.sha256
            fold9 = serving["selection"]["fold9_macro_auroc"][template]
            chosen = serving["selection"]["zero_shot_template"]
            fold10 = {task: serving["fold10"][task]["macro_auroc"] for task in SERVING_TASKS}
        except (OSError, KeyError, TypeError, json.JSONDecodeError):
            continue
        if same and chosen == template:
            source = {"from": str(path), "n_records": serving["selection"]["n_records"]}
            return {
                "fold9": {task: {"macro_auroc": fold9[task]} for task in SERVING_TASKS} | source,
                "fold10": fold10 | {"from": str(path)},
            }
    return None


def served_numbers(
    model: LoadedModel,
    ptbxl: Path,
    external: Path | None,
    log: Log | None = None,
    select_files: list[Path] | None = None,
) -> dict:
    """Everything one row needs, computed through `rank` with the weights' served defaults.

    Args:
        select_files: `mets select` serving.json files that may hold these weights' fold-9 and
            fold-10 numbers (`measured_by_select`); the lead subsets and cinc-external are always
            computed here.
    """
    log = log or (lambda _: None)
    index = load_ptbxl_index(ptbxl)
    test = split_rows(index, "test")
    template = model.config.zero_shot_template
    out: dict = {"template": template}
    known = measured_by_select(model, select_files or [])
    if known is not None:
        log(f"fold 9 and fold 10 from {known['fold10']['from']} (same weights and template)")
        out |= known
        subsets = [name for name in LEAD_SUBSETS if name != "12 leads"]
        log("fold-10 lead subsets" + (" and cinc-external" if external is not None else ""))
        served = served_rows(model, index.root, test, external, subsets=subsets)
        leads = LEAD_SUBSETS["12 leads"]
        twelve = {"leads": list(leads), "model_input": what_the_model_gets(leads)}
        twelve |= {task: known["fold10"][task] for task in LEAD_SUBSET_TASKS}
        served["lead_subsets_fold10"] = {"12 leads": twelve} | served["lead_subsets_fold10"]
        return out | served
    fold10 = {}
    for fold, split in (("fold9", "val"), ("fold10", "test")):
        rows = split_rows(index, split)
        log(f"{fold}: {len(rows)} records")
        cosines = split_cosines(model, index.root, rows, [template])[template]
        out[fold] = {
            task: protocol_b(rows, cosines[task], task, n_resamples=0) for task in SERVING_TASKS
        }
        out[fold]["n_records"] = len(rows)
        fold10 = cosines
    log("fold-10 lead subsets" + (" and cinc-external" if external is not None else ""))
    return out | served_rows(model, index.root, test, external, full=fold10)


def mitbih_numbers(model: LoadedModel, root: Path, beats_per_class: int = 100) -> dict:
    """MIT-BIH beats, METS protocol (balanced N/L/R/A/V, seed 0), ranked through `rank`.

    The beats and their 5 s windows are those of the Explore page (`explore_mitbih`); the
    answer is the top-ranked plain beat name (argmax, as protocol A), scored by macro F1.
    """
    table = predict_mitbih_beats(model, root, beats_per_class, seed=0)
    codes = list(MITBIH_CLASSES)
    truth = np.array([codes.index(code) for code in table["true"]])
    scores = table[[f"p_{code}" for code in codes]].to_numpy()
    return multiclass_from_scores(truth, scores, codes) | {"beats_per_class": beats_per_class}


def evaluate_run(
    spec: RunSpec,
    ptbxl: Path,
    external: Path | None,
    cache_dir: Path,
    device: str,
    log: Log | None = None,
    select_files: list[Path] | None = None,
    mitbih: Path | None = None,
) -> dict:
    """A run's numbers, from the cache when the same weights, template and version were done.

    Parts asked for but missing from a valid cache entry (cinc-external, MIT-BIH) are computed
    alone and added to it.

    Args:
        select_files: serving.json files of `mets select` to reuse when they match
            (`measured_by_select`); the run's own `<dir>/select/serving.json` is always tried.
        mitbih: the MIT-BIH folder, to add the METS-protocol beat F1 (None: leave it out).
    """
    model = load_model(str(spec.stem), device)
    key = model.weights.sha256
    cache = cache_dir / f"{key}.json"
    template = model.config.zero_shot_template
    say = (lambda m: log(f"{spec.name}: {m}")) if log else (lambda _: None)
    entry = json.loads(cache.read_text()) if cache.is_file() else {}
    valid = entry.get("cache_version") == CACHE_VERSION and entry.get("template") == template
    cached = valid
    if not valid:
        started = time.perf_counter()
        candidates = [spec.stem.parent / "select" / "serving.json", *(select_files or [])]
        numbers = served_numbers(model, ptbxl, external, say, candidates)
        entry = {
            "cache_version": CACHE_VERSION,
            "weights_sha256": key,
            "weights": str(spec.stem),
            "provenance": _provenance(model),
            **numbers,
            "wall_time_s": round(time.perf_counter() - started, 1),
            "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    elif external is not None and "cinc_external" not in entry:
        say("cinc-external (added to the cached entry)")
        entry["cinc_external"] = evaluate_external(model, external, n_resamples=0)
        cached = False
    if mitbih is not None and "mitbih" not in entry:
        say("MIT-BIH beats (METS protocol)")
        entry["mitbih"] = mitbih_numbers(model, mitbih)
        cached = False
    if not cached:
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(entry, indent=1) + "\n")
    return entry | {"cached": cached, "towers": model.config.ensemble_size}


def _provenance(model: LoadedModel) -> dict:
    provenance = model.weights.provenance
    train = provenance.get("train_config", {})
    keys = ("seed", "augment", "phrasings", "non_ecg_fraction", "epochs", "report_source")
    out = {k: train.get(k, provenance.get(k)) for k in keys}
    out["epochs_at_best"] = len(provenance.get("history") or [])
    out["fold9_selected"] = bool(model.weights.selection)
    return out


def row_values(numbers: dict) -> dict[str, float | None]:
    """The table's columns for one evaluated run (None: not measurable)."""
    values: dict[str, float | None] = {}
    for fold in ("fold9", "fold10"):
        for task in SERVING_TASKS:
            values[f"{fold}_{task}"] = numbers[fold][task]["macro_auroc"]
    external = numbers.get("cinc_external")
    if external is not None:
        values["cinc_rhythm"] = external["rhythm"]["macro_auroc"]
        values["cinc_af"] = external["af"]["macro_auroc"]
        values["cinc_shared"] = external["shared"]["macro_auroc"]
    if numbers.get("mitbih") is not None:
        values["mitbih_f1"] = numbers["mitbih"]["macro_f1"]
    for subset in LEAD_SUBSETS:
        for task in ("rhythm", "superclass"):
            result = numbers["lead_subsets_fold10"][subset][task]
            values[f"leads_{subset}_{task}"] = result["macro_auroc"]
    return values


def fold9_mean(row: dict) -> float | None:
    """A recipe's mean fold-9 macro AUROC over the four tasks (`mets select`'s criterion)."""
    values = [row["columns"].get(f"fold9_{task}", {}).get("mean") for task in SERVING_TASKS]
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def fold9_choice(rows: list[dict]) -> dict | None:
    """The recipe fold 9 picks: the highest `fold9_mean` (the only column that decides) among
    the recipes that fit the serving budget (at most `MAX_SERVED_TOWERS` ECG towers)."""
    eligible = [row for row in rows if row.get("towers", 1) <= MAX_SERVED_TOWERS]
    scored = [(fold9_mean(row), row["recipe"]) for row in eligible if fold9_mean(row) is not None]
    if not scored:
        return None
    mean, recipe = max(scored)
    return {
        "recipe": recipe,
        "fold9_mean_macro_auroc": mean,
        "criterion": "highest mean fold-9 macro AUROC over superclass, subclass, form and rhythm "
        "(mean over seeds where a recipe has several runs), among recipes of at most "
        f"{MAX_SERVED_TOWERS} ECG towers (the 25 ms ranking budget)",
        "over_budget": sorted(r["recipe"] for r in rows if r.get("towers", 1) > MAX_SERVED_TOWERS),
    }


def group_by_recipe(evaluated: list[tuple[RunSpec, dict]]) -> list[dict]:
    """One row per recipe: runs, seeds and per column mean, sd (ddof 1; None below 2 seeds)."""
    recipes: dict[str, list[tuple[RunSpec, dict]]] = {}
    for spec, numbers in evaluated:
        recipes.setdefault(spec.recipe, []).append((spec, numbers))
    rows = []
    for recipe, members in recipes.items():
        per_run = [row_values(numbers) for _, numbers in members]
        columns = list(dict.fromkeys(k for values in per_run for k in values))
        stats = {}
        for column in columns:
            known = np.array([v[column] for v in per_run if v.get(column) is not None], float)
            stats[column] = {
                "mean": float(known.mean()) if len(known) else None,
                "sd": float(known.std(ddof=1)) if len(known) > 1 else None,
                "n": int(len(known)),
            }
        runs = [spec.name for spec, _ in members]
        towers = max(numbers.get("towers", 1) for _, numbers in members)
        rows.append(
            {
                "recipe": recipe,
                "runs": runs,
                "n_seeds": len(runs),
                "towers": towers,
                "columns": stats,
            }
        )
    return rows


def build_table(
    specs: list[RunSpec],
    ptbxl: Path,
    external: Path | None,
    cache_dir: Path,
    device: str,
    log: Log | None = None,
    select_files: list[Path] | None = None,
    require_selection: bool = True,
    mitbih: Path | None = None,
) -> dict:
    """Evaluate every ready run (skipping the others with a note) and group them by recipe."""
    evaluated, skipped, runs = [], [], []
    for spec in specs:
        why = readiness(spec, require_selection)
        if why is not None:
            skipped.append({"run": spec.name, "weights": str(spec.stem), "reason": why})
            if log:
                log(f"{spec.name}: skipped: {why}")
            continue
        numbers = evaluate_run(spec, ptbxl, external, cache_dir, device, log, select_files, mitbih)
        evaluated.append((spec, numbers))
        runs.append({"run": spec.name, "recipe": spec.recipe, **numbers})
    rows = group_by_recipe(evaluated)
    return {
        "what": "zero-shot macro AUROC through mets_core.rank with plain class names and the "
        "weights' served (fold-9) template, per recipe (mean and sd over seeds)",
        "decides": DECIDES,
        "fold9_choice": fold9_choice(rows),
        "rows": rows,
        "runs": runs,
        "skipped": skipped,
    }


SHORT_TASK = {"superclass": "super", "subclass": "sub", "form": "form", "rhythm": "rhythm"}
COLUMN_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("F9", tuple((f"fold9_{t}", f"F9 {SHORT_TASK[t]}") for t in SERVING_TASKS)),
    ("F10", tuple((f"fold10_{t}", f"F10 {SHORT_TASK[t]}") for t in SERVING_TASKS)),
    ("ext", (("cinc_rhythm", "ext rhythm"), ("cinc_af", "ext AF"), ("cinc_shared", "ext 11"))),
    ("mitbih", (("mitbih_f1", "MIT-BIH F1"),)),
    (
        "leads",
        tuple((f"leads_{s}_rhythm", f"rhythm {s.split(' ')[0]}L") for s in LEAD_SUBSETS)
        + tuple((f"leads_{s}_superclass", f"super {s.split(' ')[0]}L") for s in LEAD_SUBSETS),
    ),
)
LEGEND = (
    "F9 = PTB-XL fold 9 (decides); F10 = fold 10 (report only); ext = cinc-external, other "
    "sites (report only: rhythm macro over rhythm-labelled records, AF alone, macro over the 11 "
    "classes shared with PTB-XL on every record); MIT-BIH F1 = macro F1 of the top-ranked beat "
    "name, METS protocol (100 beats each of N/L/R/A/V, seed 0; report only, with --mitbih); "
    "rhythm/super NL = "
    "fold-10 macro AUROC with 12 / 6 limb / 2 (I, II) / 1 (II) leads (report only)"
)


def _cell(stat: dict | None) -> str:
    if not stat or stat["mean"] is None:
        return "-"
    text = f"{stat['mean']:.3f}"
    return text + (f" ± {stat['sd']:.3f}" if stat["sd"] is not None else "")


def render_markdown(table: dict, command: str) -> str:
    """The ablation table as markdown: one row per recipe, then notes and skipped runs."""
    header = ["recipe", "seeds", "F9 mean"]
    for _, columns in COLUMN_GROUPS:
        header += [label for _, label in columns]
    lines = [
        "# Recipe ablation (issue 13)",
        "",
        f"Made by `{command}`. {table['what']}.",
        f"**{table['decides'][0].upper() + table['decides'][1:]}.**",
        "",
        LEGEND + ".",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in table["rows"]:
        mean = fold9_mean(row)
        cells = [
            row["recipe"],
            f"{row['n_seeds']} ({', '.join(row['runs'])})",
            "-" if mean is None else f"{mean:.3f}",
        ]
        for _, columns in COLUMN_GROUPS:
            cells += [_cell(row["columns"].get(key)) for key, _ in columns]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "mean ± sample sd over seeds where a recipe has several runs. An ensemble recipe's "
        "seeds are draws of member runs (benchmarks/train_recipes.sh): draws that share "
        "members understate the spread of independent ensembles.",
        "",
    ]
    choice = table.get("fold9_choice")
    if choice:
        lines += [
            f"**Fold 9 picks `{choice['recipe']}`** (F9 mean "
            f"{choice['fold9_mean_macro_auroc']:.3f}; {choice['criterion']}).",
            "",
        ]
        if choice.get("over_budget"):
            over = ", ".join(f"`{r}`" for r in choice["over_budget"])
            lines += [f"Over the serving budget, so not eligible to ship: {over}.", ""]
    lines += [f"- lead subsets: {name}: {what}" for name, what in _lead_notes().items()]
    lines += [_run_note(run) for run in table["runs"]]
    if table["skipped"]:
        lines += ["", "Not in the table yet:", ""]
        lines += [f"- {s['run']} ({s['weights']}): {s['reason']}" for s in table["skipped"]]
    return "\n".join(lines) + "\n"


def _run_note(run: dict) -> str:
    """One line per evaluated run: template, external record counts, cache, provisional flag."""
    parts = [f"- {run['run']}: template {run.get('template')!r}"]
    external = run.get("cinc_external")
    if external:
        parts.append(
            f"cinc-external {external['rhythm'].get('n_records')} rhythm-labelled of "
            f"{external.get('n_records')} records, {len(external.get('unreadable', []))} "
            "unreadable"
        )
    parts.append(
        f"{'cached' if run.get('cached') else 'evaluated'} "
        f"(sha256 {str(run.get('weights_sha256'))[:12]})"
    )
    return "; ".join(parts) + _provisional(run)


def _provisional(run: dict) -> str:
    provenance = run.get("provenance", {})
    if provenance.get("fold9_selected", True):
        return ""
    return (
        f"; PROVISIONAL: no fold-9 selection yet (training template; best epoch "
        f"{provenance.get('epochs_at_best')} of {provenance.get('epochs')})"
    )


def _lead_notes() -> dict[str, str]:
    return {name: what_the_model_gets(leads) for name, leads in LEAD_SUBSETS.items()}
