"""Fold-9 zero-shot AUROC (superclass, rhythm): trained weights vs the same encoder untrained.

The training run's own validation numbers, recomputed from the shipped files, next to the
untrained floor (3 random seeds). Fold 9 only: this is the selection split.

Usage: python benchmarks/fold9_vs_random_init.py --data ../shared/data/ptb-xl [--weights STEM ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mets_core.config import METSConfig
from mets_core.model.load import load_model
from mets_core.train.data import build_train_and_val
from mets_core.train.distributed import DistributedContext
from mets_core.train.validation import validate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--weights", nargs="+", default=["weights/mets_resnet18"])
    parser.add_argument("--cache-dir", default="runs/cache")
    parser.add_argument("--out", default="results/fold9_vs_random_init.json")
    args = parser.parse_args()
    _, val = build_train_and_val(Path(args.data), METSConfig(), "generated", args.cache_dir)
    ctx, rows = DistributedContext(), {}
    for stem in args.weights:
        rows[stem] = validate(load_model(stem, "cpu").module, val, ctx)
    for seed in range(3):
        model = load_model(random_init=True, device="cpu", seed=seed).module
        rows[f"random-init seed {seed}"] = validate(model, val, ctx)
    for name, metrics in rows.items():
        print(
            f"{name:40s} superclass {metrics['val_auroc_superclass']:.3f} "
            f"rhythm {metrics['val_auroc_rhythm']:.3f}"
        )
    Path(args.out).write_text(
        json.dumps({"split": "fold 9 (validation)", "template": "{}", "results": rows}, indent=2)
        + "\n"
    )


if __name__ == "__main__":
    main()
