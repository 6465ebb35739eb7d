"""How often `rank` abstains: on real ECGs (it should almost never) and on non-ECGs (always).

Run from the repo root:
    .venv/bin/python benchmarks/abstain.py [--weights STEM] [--controls 20]
Ranks the five superclass names through `mets_core.rank` (the public path) for

* every PTB-XL fold-10 record, every readable ../shared/data/code15 and cinc-external record
  (measured only: nothing is chosen on them; the thresholds come from fold 9, `mets bank`);
* the controls of `mets_core.evaluate.non_ecg`: flat line, noise and shuffled leads made from
  fold-10 records, and synthetic noise, sine, square, sawtooth, random walk, constant offset,
  clipped noise, mains hum and spike trains at 0.1, 1 and 10 mV, each also with limb leads made
  consistent (which defeats the limb-lead check on purpose); an exactly constant record; real
  fold-10 ECGs in wrong units (x10, x0.1), for information.

Prints one line per set and writes results/abstain.json. Seed 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

import mets_core
from mets_core.data.ptbxl import load_ptbxl_index, read_ptbxl_signal, split_rows
from mets_core.errors import ECGInputError, METSError
from mets_core.evaluate import non_ecg
from mets_core.model.device import describe_device
from mets_core.zeroshot.labels import class_names

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
LIMITS = {"PTB-XL fold 10": 0.02, "code15": 0.05, "cinc-external": 0.05}  # issue 12


def _outcome(model, record) -> tuple[bool, str]:  # noqa: ANN001
    """(abstained, which check) for one input; a refused input counts as abstained."""
    try:
        ranking = mets_core.rank(model, record, class_names("superclass"))
    except ECGInputError:
        return True, "refused"
    return ranking.abstain, (ranking.input_checks or {}).get("failed_check") or "-"


def _summary(outcomes: list[tuple[bool, str]], names: list[str] | None = None) -> dict:
    abstained = [o for o, _ in outcomes]
    summary = {
        "n": len(outcomes),
        "abstain_rate": float(np.mean(abstained)) if outcomes else None,
        "by_check": dict(Counter(check for o, check in outcomes if o)),
    }
    if names is not None:
        summary["abstained"] = [n for n, (o, _) in zip(names, outcomes, strict=True) if o]
    return summary


def real_sets(model, ptbxl: Path) -> dict:  # noqa: ANN001
    """Fold 10, code15 and cinc-external, every record that can be read."""
    index = load_ptbxl_index(ptbxl)
    test = split_rows(index, "test")
    out = {}
    names = [str(row.ecg_id) for row in test]
    records = [read_ptbxl_signal(index.root, row) for row in test]
    out["PTB-XL fold 10"] = _summary([_outcome(model, r) for r in records], names)
    for label, folder in (("code15", DATA / "code15"), ("cinc-external", DATA / "cinc-external")):
        outcomes, names, unreadable = [], [], []
        for header in sorted(folder.glob("*.hea")):
            try:
                record = mets_core.load_record(header)
            except METSError:
                unreadable.append(header.stem)
                continue
            outcomes.append(_outcome(model, record))
            names.append(header.stem)
        out[label] = _summary(outcomes, names) | {"unreadable": unreadable}
    return out


def control_sets(model, bases: list, seed: int) -> dict:  # noqa: ANN001
    """Abstain rate per control (and per scale for the synthetic ones)."""
    rng = np.random.default_rng(seed)
    out = {}
    for kind in non_ecg.FROM_RECORD:
        outcomes = [_outcome(model, non_ecg.record_control(kind, b, rng)) for b in bases]
        out[kind] = _summary(outcomes)
    for kind in non_ecg.SYNTHETIC:
        for consistent in (False, True):
            per_scale = {}
            for scale in non_ecg.SCALES_MV:
                records = [non_ecg.synthetic_record(kind, scale, rng) for _ in bases]
                if consistent:
                    records = [non_ecg.limb_consistent(r) for r in records]
                per_scale[f"{scale:g} mV"] = [_outcome(model, r) for r in records]
            pooled = [o for outcomes in per_scale.values() for o in outcomes]
            name = f"{kind}, limb leads consistent" if consistent else kind
            out[name] = _summary(pooled) | {
                "by_scale": {s: _summary(o)["abstain_rate"] for s, o in per_scale.items()}
            }
    constant = replace(bases[0], signal=np.full_like(bases[0].signal, 0.5), notes=())
    out["exactly constant"] = _summary([_outcome(model, constant)])
    for factor in (10.0, 0.1):
        scaled = [replace(b, signal=b.signal * factor, notes=()) for b in bases]
        out[f"real ECG x{factor:g} (wrong units)"] = _summary([_outcome(model, r) for r in scaled])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="weights stem (default: shipped)")
    parser.add_argument("--controls", type=int, default=20, help="fold-10 records for controls")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(REPO / "results" / "abstain.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    model = mets_core.load_model(args.weights, device="cpu")
    ptbxl = DATA / "ptb-xl"
    real = real_sets(model, ptbxl)
    index = load_ptbxl_index(ptbxl)
    bases = [read_ptbxl_signal(index.root, r) for r in split_rows(index, "test")[: args.controls]]
    controls = control_sets(model, bases, args.seed)
    payload = {
        "command": "python benchmarks/abstain.py " + " ".join(sys.argv[1:]),
        "weights": {"name": model.weights.name, "sha256": model.weights.sha256},
        "reference_bank": model.weights.reference_bank.get("sha256"),
        "thresholds": {k: v for k, v in model.weights.abstain.items() if k != "fold9"},
        "candidates": class_names("superclass"),
        "limits": LIMITS,
        "real": real,
        "controls": controls,
        "machine": describe_device(model.device),
        "wall_time_s": round(time.perf_counter() - started, 1),
    }
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n")
    _print(real, controls)
    return 0


def _print(real: dict, controls: dict) -> None:
    for name, result in real.items():
        limit = f" (limit {LIMITS[name]:.0%})" if name in LIMITS else ""
        unreadable = f", {len(result['unreadable'])} unreadable" if result.get("unreadable") else ""
        print(
            f"{name:40s} abstained {result['abstain_rate']:6.1%} of {result['n']}{unreadable}"
            f"{limit}  {result['by_check']}"
        )
    for name, result in controls.items():
        scales = result.get("by_scale")
        detail = "  " + ", ".join(f"{s}: {r:.0%}" for s, r in scales.items()) if scales else ""
        print(f"{name:40s} abstained {result['abstain_rate']:6.1%} of {result['n']}{detail}")


if __name__ == "__main__":
    raise SystemExit(main())
