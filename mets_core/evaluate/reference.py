"""`mets bank`: build the reference bank of a set of weights and choose the abstain thresholds.

1. Bank (folds 1-8 only): every PTB-XL training record, embedded exactly as `rank` embeds an ECG
   (`preprocess_for_model` + `encode_ecg`), with its labels (all four tasks), the English report
   generated from its SCP statements and its original report where the metadata has one. Written
   to `<weights>.bank.npz`; its SHA-256 goes into the sidecar (``reference_bank``).
2. Thresholds (fold 9 only), measured through `rank` itself (`Ranking.input_checks`):
   * reference similarity: below every fold-9 ECG -> abstain (fold 9 abstains on none by it);
   * slope kurtosis and limb-lead residual: the least extreme value among the fold-9 controls
     each check is meant for (`evaluate.non_ecg`: flat, noise, sines, random walks, ... and the
     leads of fold-9 records shuffled), so every one of them is caught, as far from the real
     ECGs as the controls allow; refused if it would flag a fold-9 ECG.
   Stored in the sidecar (``abstain``) with the rule and the fold-9 rates.

Fold 10, code15 and cinc-external are never read here; `benchmarks/abstain.py` measures on them.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mets_core.data.ptbxl import (
    TRAIN_FOLDS,
    PTBXLRow,
    load_ptbxl_index,
    read_ptbxl_signal,
    split_rows,
)
from mets_core.data.ptbxl_labels import TASKS, load_scp_statements
from mets_core.data.reports import report_for_record
from mets_core.errors import DataError, METSError
from mets_core.evaluate import non_ecg
from mets_core.model.checkpoint import (
    DEFAULT_WEIGHTS,
    sha256_file,
    weights_paths,
    write_reference_bank,
)
from mets_core.model.load import LoadedModel, encode_ecg, load_model
from mets_core.model.reference_bank import BANK_SUFFIX, ReferenceBank, save_reference_bank
from mets_core.record import ECGRecord
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot.abstain import AbstainThresholds, InputChecks, failed_check
from mets_core.zeroshot.rank import rank
from mets_core.zeroshot.reference import DEFAULT_NEIGHBOURS

N_CONTROL_RECORDS = 20  # fold-9 records (and synthetic draws per kind and scale) for controls
SLOPE_TARGETS = (  # controls without QRS-like deflections: the slope check is meant for these
    "flat line",
    "noise only",
    "noise",
    "sine",
    "random walk",
    "clipped noise",
)  # (offsets, mains hum and square waves are flat, noisy or clipped: the quality check's)
PROBE = ["normal ECG"]  # `rank` needs a candidate; the input checks do not depend on it


def build_bank(
    model: LoadedModel, root: Path, rows: list[PTBXLRow], progress: bool = True
) -> ReferenceBank:
    """Embed training-fold records as `rank` does; keep labels and report texts.

    Raises:
        DataError: a row outside the training folds (the bank must never hold held-out ECGs).
    """
    outside = sorted({row.strat_fold for row in rows} - set(TRAIN_FOLDS))
    if outside:
        raise DataError(f"The reference bank takes folds 1-8 only; got fold(s) {outside}.")
    statements = load_scp_statements(root)
    embeddings = np.zeros((len(rows), model.config.embedding_dim), np.float32)
    for i, row in enumerate(tqdm(rows, desc="reference bank", disable=not progress)):
        prepared = preprocess_for_model(read_ptbxl_signal(root, row), model.config.preprocess)
        embeddings[i] = encode_ecg(model, prepared.windows).cpu().numpy()
    return ReferenceBank(
        embeddings=embeddings,
        ecg_ids=np.array([row.ecg_id for row in rows], np.int64),
        strat_folds=np.array([row.strat_fold for row in rows], np.int64),
        labels=tuple({task: tuple(row.labels.get(task, ())) for task in TASKS} for row in rows),
        reports=tuple(report_for_record(row, "generated", statements) or "" for row in rows),
        original_reports=tuple(row.report for row in rows),
        dataset=f"PTB-XL {root.name}, strat_fold {min(TRAIN_FOLDS)}-{max(TRAIN_FOLDS)}",
    )


def input_checks(model: LoadedModel, record: ECGRecord) -> dict:
    """What `rank`'s abstain checks measure for `record` (`Ranking.input_checks`)."""
    return rank(model, record, PROBE).input_checks or {}


def control_checks(
    model: LoadedModel, records: list[ECGRecord], seed: int = 0
) -> dict[str, list[dict]]:
    """Input checks of every control: from each record, and synthetic per kind and scale.

    Returns:
        control name (e.g. "sine", "sine, limb leads consistent") -> one dict per control input.
    """
    rng = np.random.default_rng(seed)
    out: dict[str, list[dict]] = {}
    for record in records:
        for kind in non_ecg.FROM_RECORD:
            control = non_ecg.record_control(kind, record, rng)
            out.setdefault(kind, []).append(input_checks(model, control))
    for kind in non_ecg.SYNTHETIC:
        for scale in non_ecg.SCALES_MV:
            for _ in records:
                control = non_ecg.synthetic_record(kind, scale, rng)
                out.setdefault(kind, []).append(input_checks(model, control))
                consistent = non_ecg.limb_consistent(control)
                name = f"{kind}, limb leads consistent"
                out.setdefault(name, []).append(input_checks(model, consistent))
    return out


def _values(checks: list[dict], key: str) -> np.ndarray:
    return np.array([c[key] for c in checks if c.get(key) is not None], dtype=np.float64)


def choose_thresholds(real: list[dict], controls: dict[str, list[dict]], k: int) -> dict:
    """Fold-9 thresholds (see the module docstring) and what they do on fold 9.

    Raises:
        DataError: a signal-check threshold that would flag a fold-9 ECG.
    """
    plain = [c for name, checks in controls.items() if "consistent" not in name for c in checks]
    slope_targets = [c for name in SLOPE_TARGETS for c in controls.get(name, [])]
    limb = float(_values(plain, "limb_residual").min())
    slope = float(_values(slope_targets, "slope_kurtosis").max())
    real_limb, real_slope = _values(real, "limb_residual"), _values(real, "slope_kurtosis")
    if limb <= real_limb.max() or slope >= real_slope.min():
        raise DataError(
            f"The controls overlap fold 9 (limb residual {limb:.3f} vs fold-9 max "
            f"{real_limb.max():.3f}; slope kurtosis {slope:.2f} vs fold-9 min "
            f"{real_slope.min():.2f}): no threshold separates them."
        )
    similarity = _values(real, "reference_similarity")
    floor = float(similarity.min()) if similarity.size else None
    thresholds = AbstainThresholds(limb, slope, floor, k)
    return {
        "max_limb_residual": thresholds.max_limb_residual,
        "min_slope_kurtosis": thresholds.min_slope_kurtosis,
        "min_reference_similarity": thresholds.min_reference_similarity,
        "k": k,
        "split": "val",
        "n_records": len(real),
        "rule": {
            "min_reference_similarity": "the lowest mean cosine of the k nearest reference ECGs "
            "over the fold-9 ECGs (abstain strictly below it)",
            "max_limb_residual": "the lowest limb-lead residual among the fold-9 controls (flat "
            "line, noise, shuffled leads of fold-9 records; synthetic noise, waves, walks, "
            f"offsets, spikes at {list(non_ecg.SCALES_MV)} mV), abstain at or above it",
            "min_slope_kurtosis": "the highest slope kurtosis among the fold-9 controls "
            f"without QRS-like deflections ({', '.join(SLOPE_TARGETS)}), abstain at or below it",
            "guard": "refused if a signal-check threshold would flag any fold-9 ECG",
        },
        "fold9": _rates(real, controls, thresholds),
    }


def _rates(
    real: list[dict], controls: dict[str, list[dict]], thresholds: AbstainThresholds
) -> dict:
    def rate(checks: list[dict]) -> float:
        return float(np.mean([_abstains(c, thresholds) for c in checks])) if checks else 0.0

    return {
        "ecg_abstain_rate": rate(real),
        "real_ranges": {
            key: [float(_values(real, key).min()), float(_values(real, key).max())]
            for key in ("slope_kurtosis", "limb_residual", "reference_similarity")
            if _values(real, key).size
        },
        "control_abstain_rate": {name: rate(checks) for name, checks in controls.items()},
    }


def _abstains(checks: dict, thresholds: AbstainThresholds) -> bool:
    return failed_check(InputChecks.from_dict(checks), thresholds) is not None


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mets bank", description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=None, help="weights stem (default: the shipped weights)")
    p.add_argument("--data", default="../shared/data/ptb-xl", help="PTB-XL folder")
    p.add_argument("--k", type=int, default=DEFAULT_NEIGHBOURS, help="nearest reference ECGs")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0, help="seed of the controls")
    p.add_argument("--max-records", type=int, default=None, help="first N per split (smoke runs)")
    p.add_argument("--controls", type=int, default=N_CONTROL_RECORDS, help="records for controls")
    p.add_argument(
        "--reuse-bank", action="store_true", help="keep the verified bank; choose thresholds only"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build the bank (folds 1-8), choose thresholds (fold 9), write both into the weights."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = time.perf_counter()
    stem = Path(args.weights) if args.weights else DEFAULT_WEIGHTS
    tensor_path, _ = weights_paths(stem)
    bank_file = tensor_path.with_name(tensor_path.stem + BANK_SUFFIX)
    try:
        model = load_model(stem, args.device, load_reference=args.reuse_bank)
        index = load_ptbxl_index(Path(args.data))
        train = split_rows(index, "train")[: args.max_records]
        val = split_rows(index, "val")[: args.max_records]
        if not train or not val:
            raise DataError(f"{args.data} has no fold 1-8 or no fold-9 records.")
        if args.reuse_bank and model.reference is None:
            raise DataError(f"{stem} has no reference bank to reuse; run without --reuse-bank.")
        bank = model.reference if args.reuse_bank else build_bank(model, index.root, train)
        if not args.reuse_bank:
            save_reference_bank(bank_file, bank)
        model = replace(model, reference=bank)
        real = [input_checks(model, read_ptbxl_signal(index.root, row)) for row in val]
        bases = [read_ptbxl_signal(index.root, row) for row in val[: args.controls]]
        abstain = choose_thresholds(real, control_checks(model, bases, args.seed), args.k)
    except METSError as error:
        print(f"mets bank: {error}", file=sys.stderr)
        return 2
    stamp = {"command": "mets bank " + " ".join(argv), "date_utc": _now()}
    if args.reuse_bank:  # the bank and its block stay as built
        write_reference_bank(stem, model.weights.reference_bank, abstain | stamp)
        _print_summary(bank_file, model.weights.reference_bank, abstain, _since(started))
        return 0
    block = {
        "file": bank_file.name,
        "sha256": sha256_file(bank_file),
        "n": len(bank),
        "folds": sorted({int(f) for f in bank.strat_folds}),
        "split": "train",
        "dataset": bank.dataset,
        "reports": "generated from the SCP statements (mets_core.data.reports, 'generated'); "
        "the original report where the metadata has one",
        **stamp,
    }
    write_reference_bank(stem, block, abstain | stamp)
    _print_summary(bank_file, block, abstain, _since(started))
    return 0


def _since(started: float) -> float:
    return time.perf_counter() - started


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def _print_summary(bank_file: Path, block: dict, abstain: dict, wall_s: float) -> None:
    print(f"reference bank: {bank_file} ({block['n']} ECGs, folds {block['folds']})")
    print(
        f"abstain thresholds (fold 9, {abstain['n_records']} ECGs): reference similarity < "
        f"{abstain['min_reference_similarity']:.4f}, slope kurtosis <= "
        f"{abstain['min_slope_kurtosis']:.3f}, limb residual >= {abstain['max_limb_residual']:.3f}"
    )
    print(f"fold-9 ECGs abstained: {abstain['fold9']['ecg_abstain_rate']:.1%}")
    for name, rate in abstain["fold9"]["control_abstain_rate"].items():
        print(f"  fold-9 control {name:40s} abstained {rate:.0%}")
    print(f"({wall_s:.0f} s)")


if __name__ == "__main__":
    raise SystemExit(main())
