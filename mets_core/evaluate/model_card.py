"""The model card's numbers as small tables: read from the weights sidecar and results/*.json.

Every table here is built from a file a command wrote (`mets select` -> results/serving.json,
`mets evaluate` -> results/evaluation.json, benchmarks/external_sites.py and benchmarks/abstain.py),
so the app's Model card and Home page show the same numbers as those files, never retyped ones.
Each builder takes the parsed JSON and returns a `pandas.DataFrame` ready to display; a file
without the expected block gives an empty table, never an exception.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from mets_core.data.ptbxl_labels import TASKS
from mets_core.errors import DataError

HISTORY_KEY = "history"  # provenance key of the per-epoch training history (`mets train`)
SELECTION_METRIC = "val_auroc_ma3"  # what `mets train` selects the epoch on (3-epoch mean)
LINEAR_PROBE_FRACTIONS = ("0.01", "0.1", "1")  # share of training labels the probes saw


def read_result(path: Path) -> dict:
    """Read one results/*.json file.

    Raises:
        DataError: the file is missing, unreadable or not a JSON object.
    """
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"Could not read {Path(path).name}: {error}") from error
    if not isinstance(value, dict):
        raise DataError(f"{Path(path).name} does not hold a JSON object.")
    return value


def training_history(provenance: Mapping[str, object]) -> pd.DataFrame:
    """The per-epoch training history of the weights sidecar, one row per epoch.

    The sidecar stores it as a list of dicts, or as that list's text (Python or JSON literal).

    Returns:
        Columns `epoch` and each metric (train_loss, val_loss, val_auroc, ...); empty when the
        sidecar has no readable history.
    """
    raw = provenance.get(HISTORY_KEY)
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return pd.DataFrame()
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        return pd.DataFrame()
    table = pd.DataFrame(raw)
    if "epoch" not in table.columns:
        table.insert(0, "epoch", range(len(table)))
    return table.apply(pd.to_numeric, errors="coerce").sort_values("epoch", ignore_index=True)


def run_histories(provenance: Mapping[str, object]) -> dict[str, pd.DataFrame]:
    """Training histories by run: the weights' own, or each run of an ensemble (`mets ensemble`
    records its runs under ``ensemble_of``), named by the run's folder; runs without one are left
    out."""
    members = provenance.get("ensemble_of")
    if not isinstance(members, list):
        history = training_history(provenance)
        return {} if history.empty else {"these weights": history}
    histories = {}
    for i, member in enumerate(members):
        if not isinstance(member, Mapping):
            continue
        name = Path(str(member.get("weights") or f"run {i + 1}")).parent.name or f"run {i + 1}"
        history = training_history(member)
        if not history.empty:
            histories[name] = history
    return histories


def ensemble_runs(provenance: Mapping[str, object]) -> pd.DataFrame:
    """The runs an ensemble joins (run, seed, fold-9 mean AUROC, SHA-256, command); empty for
    weights that are one trained run."""
    members = provenance.get("ensemble_of")
    if not isinstance(members, list):
        return pd.DataFrame()
    rows = [
        {
            "run": Path(str(m.get("weights", ""))).parent.name,
            "seed": m.get("seed"),
            "fold-9 mean macro AUROC": m.get("fold9_mean_macro_auroc"),
            "SHA-256": str(m.get("sha256", ""))[:12],
            "command": m.get("command"),
        }
        for m in members
        if isinstance(m, Mapping)
    ]
    return pd.DataFrame(rows)


def kept_epoch(history: pd.DataFrame) -> int | None:
    """The epoch `mets train` kept: the best fold-9 `SELECTION_METRIC`; None when not recorded."""
    if history.empty or SELECTION_METRIC not in history.columns:
        return None
    scores = history[SELECTION_METRIC]
    return None if scores.isna().all() else int(history.loc[scores.idxmax(), "epoch"])


def training_summary(provenance: Mapping[str, object]) -> pd.DataFrame:
    """A short (item, value) table of how the weights were trained: no raw history, no command.

    Returns:
        Rows for the training data, pairs, epochs run, the chosen epoch and its fold-9 AUROC
        (when the history says), seed, date and wall time; rows without a value are left out.
    """
    history = training_history(provenance)
    epoch = kept_epoch(history)
    chosen = None if epoch is None else history.loc[history["epoch"] == epoch].iloc[0]
    wall_s = _number(provenance.get("wall_time_s"))
    machine = provenance.get("machine", "an unnamed machine")
    rows: dict[str, object] = {
        "trained on": provenance.get("training_data"),
        "ECG-report pairs": provenance.get("n_train_pairs"),
        "report text": provenance.get("report_source"),
        "epochs run": len(history) if not history.empty else None,
        "seed": provenance.get("seed"),
        "date": provenance.get("date"),
        "training time": None if wall_s is None else f"{wall_s / 60:.0f} min on {machine}",
    }
    if chosen is not None:
        how = provenance.get("selection", "best on fold 9")
        rows["epoch kept"] = f"{int(chosen['epoch'])} ({how})"
        if "val_auroc" in chosen:
            rows["fold-9 macro AUROC at that epoch"] = f"{chosen['val_auroc']:.3f}"
    values = {k: str(v) for k, v in rows.items() if v not in (None, "")}
    return pd.DataFrame({"item": list(values), "value": list(values.values())})


def zero_shot_table(serving: Mapping[str, object]) -> pd.DataFrame:
    """Fold-10 zero-shot results as served (results/serving.json), one row per PTB-XL task.

    Returns:
        Columns task, macro AUROC, 95 % CI, records, top-1 accuracy and calibration error of the
        served probability (single-label records); empty without a `fold10` block.
    """
    fold10 = serving.get("fold10")
    rows = []
    for task in TASKS:
        block = fold10.get(task) if isinstance(fold10, dict) else None
        if not isinstance(block, dict):
            continue
        auroc = block.get("macro_auroc") or {}
        served = (block.get("calibration") or {}).get("served") or {}
        rows.append(
            {
                "task": task,
                "macro AUROC": _round(auroc.get("macro_auroc")),
                "95 % CI": _interval(auroc.get("ci95")),
                "records": auroc.get("n_records"),
                "top-1 accuracy": _round(served.get("top1_accuracy")),
                "calibration error (ECE)": _round(served.get("expected_calibration_error")),
            }
        )
    return pd.DataFrame(rows)


def baseline_table(evaluation: Mapping[str, object], serving: Mapping[str, object]) -> pd.DataFrame:
    """Fold-10 macro AUROC per task: METS zero-shot beside the baselines of `mets evaluate`.

    Args:
        evaluation: results/evaluation.json (random-init zero-shot, linear probes, supervised).
        serving: results/serving.json (the served zero-shot row).

    Returns:
        One row per method, one column per PTB-XL task; empty when neither file has the blocks.
    """
    baselines = evaluation.get("baselines") or {}
    rows: list[dict[str, object]] = []
    served = zero_shot_table(serving)
    if not served.empty:
        rows.append(
            {
                "method": "METS zero-shot, as served",
                **dict(zip(served["task"], served["macro AUROC"], strict=True)),
            }
        )
    for name, block in (baselines.get("random_init_zero_shot") or {}).items():
        rows.append({"method": f"untrained encoder, zero-shot ({name} prompts)", **_aurocs(block)})
    probes = baselines.get("linear_probe") or {}
    for encoder, label in (("mets", "METS"), ("random_init", "untrained")):
        for fraction in LINEAR_PROBE_FRACTIONS:
            block = (probes.get(encoder) or {}).get(fraction)
            if block:
                share = f"{100 * float(fraction):g} %"
                rows.append(
                    {
                        "method": f"linear probe on {label} features, {share} of labels",
                        **_aurocs(block),
                    }
                )
    if baselines.get("supervised"):
        rows.append(
            {"method": "supervised ResNet (folds 1-8 labels)", **_aurocs(baselines["supervised"])}
        )
    return pd.DataFrame(rows)  # fmt: skip


def external_table(external: Mapping[str, object]) -> pd.DataFrame:
    """Rhythm zero-shot on other hospitals' ECGs (results/external_sites.json), one row per run."""
    rows = []
    for result in external.get("results") or []:
        if not isinstance(result, dict):
            continue
        rows.append(
            {
                "data": str(external.get("data", "external sites")),
                "records": result.get("n_records"),
                "rhythm macro AUROC": _round(result.get("rhythm_macro_auroc")),
                "95 % CI": _interval(result.get("rhythm_macro_auroc_ci95")),
                "AF AUROC": _round(result.get("af_auroc")),
                "AF 95 % CI": _interval(result.get("af_auroc_ci95")),
                "classes without positives": ", ".join(result.get("skipped") or []) or "-",
            }
        )
    return pd.DataFrame(rows)


def abstain_table(abstain: Mapping[str, object]) -> pd.DataFrame:
    """How often the model abstains (results/abstain.json): real ECG sets, then the controls.

    Returns:
        Columns input, kind ("real ECGs" or "control"), records, abstained (%), limit (%) for
        real sets, and the checks that fired.
    """
    limits = abstain.get("limits") or {}
    rows = []
    for kind, blocks in (("real ECGs", abstain.get("real")), ("control", abstain.get("controls"))):
        for name, block in (blocks or {}).items():
            if not isinstance(block, dict):
                continue
            rate = _number(block.get("abstain_rate"))
            limit = _number(limits.get(name))
            rows.append(
                {
                    "input": name,
                    "kind": kind,
                    "records": block.get("n"),
                    "abstained (%)": None if rate is None else round(100 * rate, 1),
                    "limit (%)": "-" if limit is None else f"{100 * limit:g}",  # real sets only
                    "checks that fired": _checks(block.get("by_check")),
                }
            )
    return pd.DataFrame(rows)


def _aurocs(block: Mapping[str, object]) -> dict[str, float | None]:
    """task -> fold-10 macro AUROC of a `mets evaluate` block with a `protocol_b` part."""
    protocol = block.get("protocol_b") if isinstance(block, dict) else None
    protocol = protocol if isinstance(protocol, dict) else {}
    return {task: _round((protocol.get(task) or {}).get("macro_auroc")) for task in TASKS}


def _checks(by_check: object) -> str:
    if not isinstance(by_check, dict) or not by_check:
        return "-"
    return ", ".join(f"{name} {count}" for name, count in by_check.items())


def _number(value: object) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _round(value: object) -> float | None:
    number = _number(value)
    return None if number is None else round(number, 3)


def _interval(values: object) -> str:
    if not isinstance(values, list | tuple) or len(values) != 2:
        return "-"
    low, high = (_number(v) for v in values)
    return "-" if low is None or high is None else f"{low:.3f}-{high:.3f}"


def reference_bank_summary(reference_bank: Mapping[str, object]) -> pd.DataFrame:
    """A short (item, value) table of the weights' reference bank (sidecar `reference_bank`).

    Returns:
        Rows for the ECG count, dataset and folds, report text, file and SHA-256; empty when the
        weights ship no bank.
    """
    if not reference_bank:
        return pd.DataFrame()
    folds = reference_bank.get("folds")
    rows = {
        "ECGs": reference_bank.get("n"),
        "from": reference_bank.get("dataset"),
        "folds": ", ".join(str(f) for f in folds) if isinstance(folds, list) else folds,
        "their reports": reference_bank.get("reports"),
        "file": reference_bank.get("file"),
        "SHA-256": reference_bank.get("sha256"),
        "made by": reference_bank.get("command"),
    }
    values = {k: str(v) for k, v in rows.items() if v not in (None, "")}
    return pd.DataFrame({"item": list(values), "value": list(values.values())})
