"""Regenerate tests/data/shipped_reference.json: what the shipped weights say about each example.

Run from the repo root, ONLY when a change to the shipped rankings is intended (new weights, a
deliberate change to reading or cleaning), and say why in the commit message:
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/make_shipped_reference.py
For every bundled example (`mets_core.io.examples`) it stores the ECG embedding of the shipped
weights `weights/mets_resnet18` on CPU (rounded to 6 decimals), the top answer among the app's
"Common differential" candidates with the plain template "{}", no centring, and the weights'
sha256. `tests/test_shipped_weights.py` recomputes all of this and fails on any drift.
The candidate list and template are written into the file, so later edits to the app's presets
or to the default template do not change what the test checks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import mets_core
from mets_core.io.examples import list_examples, load_example
from mets_core.zeroshot.labels import COMMON_DIFFERENTIAL

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data" / "shipped_reference.json"
TEMPLATE = "{}"
DECIMALS = 6
MIN_MARGIN = 1e-3  # top-1 minus top-2 cosine below this would make the top answer a coin toss


def main() -> None:
    model = mets_core.load_model(device="cpu")
    examples = {}
    for info in list_examples():
        record = load_example(info.key)
        prepared = mets_core.preprocess_for_model(record, model.config.preprocess)
        embedding = mets_core.encode_ecg(model, prepared.windows).cpu().numpy()
        ranking = mets_core.rank(model, record, COMMON_DIFFERENTIAL, template=TEMPLATE)
        margin = ranking[0].cosine - ranking[1].cosine
        if margin < MIN_MARGIN:
            print(f"warning: {info.key} top-2 margin {margin:.2e} is tiny; the test may flake")
        examples[info.key] = {
            "top": ranking[0].candidate,
            "top_cosine": round(ranking[0].cosine, DECIMALS),
            "embedding": [round(float(v), DECIMALS) for v in embedding],
        }
        print(f"{info.key:25s} top {ranking[0].candidate!r} (margin {margin:.3f})")
    reference = {
        "about": "Made by benchmarks/make_shipped_reference.py; checked by "
        "tests/test_shipped_weights.py. Regenerate only for an intended change.",
        "weights": model.weights.name,
        "sha256": model.weights.sha256,
        "device": "cpu",
        "template": TEMPLATE,
        "center": False,
        "candidates": list(COMMON_DIFFERENTIAL),
        "examples": examples,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(_dump(reference), encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)} ({OUT.stat().st_size} bytes)")


def _dump(reference: dict) -> str:
    """Indented JSON with each embedding on one line (a readable diff, one line per example)."""
    text = json.dumps(reference, indent=1)
    numbers = r"\[\n\s+(-?[\d.e-]+(?:,\n\s+-?[\d.e-]+)*)\n\s+\]"
    return re.sub(numbers, lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


if __name__ == "__main__":
    main()
