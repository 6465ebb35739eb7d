"""The sanity check on the 7 bundled examples: which answers survive a flat line or noise?

Run from the repo root:
    .venv/bin/python benchmarks/sanity_examples.py [--weights STEM]
Ranks a fixed list of candidates for each bundled example (PTB-XL fold 10 and MIT-BIH 119) and
for the three controls of `mets_core.zeroshot.sanity`, prints one block per example and writes
results/sanity_examples.json. Seed 0.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import mets_core
from mets_core.io import examples
from mets_core.zeroshot import sanity

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = [
    "normal ECG",
    "atrial fibrillation",
    "left bundle branch block",
    "anterior myocardial infarction",
    "left ventricular hypertrophy",
    "sinus tachycardia",
    "premature ventricular contraction",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="weights stem (default: shipped)")
    model = mets_core.load_model(parser.parse_args().weights, device="cpu")
    out = {"weights": model.weights.name, "sha256": model.weights.sha256, "examples": {}}
    for example in examples.list_examples():
        record = examples.load_example(example.key)
        ranking = mets_core.rank(model, record, CANDIDATES)
        results = sanity.sanity_check(model, record, ranking)
        out["examples"][example.key] = {
            "top": ranking[0].candidate,
            "controls": {r.name: {"top": r.top_candidate, "spearman": r.spearman} for r in results},
            "warning": sanity.verdict(results),
        }
        print(f"{example.key}: top {ranking[0].candidate!r}")
        for r in results:
            print(f"   {r.name:15s} top {r.top_candidate!r:38s} spearman {r.spearman:+.2f}")
    path = REPO / "results" / "sanity_examples.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
