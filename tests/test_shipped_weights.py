"""Shipped weights on the bundled examples: any change that moves a shipped ranking fails here.

The reference (tests/data/shipped_reference.json) holds, per bundled example, the ECG embedding
of `weights/mets_resnet18` on CPU and its top answer among a fixed candidate list with a fixed
template; reading, cleaning, preprocessing or the model must reproduce both. When a change to the
shipped rankings is intended, rerun `benchmarks/make_shipped_reference.py` and say why in the
commit message.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mets_core
from mets_core.io.examples import list_examples, load_example
from mets_core.model.checkpoint import DEFAULT_WEIGHTS, weights_paths

REFERENCE_PATH = Path(__file__).resolve().parent / "data" / "shipped_reference.json"
REFERENCE = json.loads(REFERENCE_PATH.read_text(encoding="utf-8"))
EMBEDDING_ATOL = 1e-4  # max abs difference per component (the reference is rounded to 1e-6)
RERUN = (
    "If this change is intended, rerun `HF_HUB_OFFLINE=1 .venv/bin/python "
    "benchmarks/make_shipped_reference.py` and say why in the commit message."
)


@pytest.fixture(scope="module")
def shipped_model():
    return mets_core.load_model(device="cpu")


def test_reference_was_made_with_the_shipped_weights(shipped_model):
    sidecar = json.loads(weights_paths(DEFAULT_WEIGHTS)[1].read_text(encoding="utf-8"))
    expected = REFERENCE["sha256"]
    for where, actual in (("sidecar", sidecar["sha256"]), ("loaded", shipped_model.weights.sha256)):
        assert actual == expected, (
            f"The shipped weights are not the ones the reference was made with ({where} sha256 "
            f"{actual}, reference {expected}). {RERUN}"
        )


def test_every_bundled_example_has_a_reference():
    keys = [info.key for info in list_examples()]
    assert sorted(REFERENCE["examples"]) == sorted(keys), f"The examples changed. {RERUN}"


@pytest.mark.parametrize("key", sorted(REFERENCE["examples"]))
def test_example_embedding_and_top_answer_match_the_reference(shipped_model, key):
    expected = REFERENCE["examples"][key]
    record = load_example(key)
    prepared = mets_core.preprocess_for_model(record, shipped_model.config.preprocess)
    embedding = mets_core.encode_ecg(shipped_model, prepared.windows).cpu().numpy()
    difference = float(np.abs(embedding - np.asarray(expected["embedding"])).max())
    assert difference <= EMBEDDING_ATOL, (
        f"{key}: the ECG embedding moved by {difference:.2e} (max abs; tolerance "
        f"{EMBEDDING_ATOL:.0e}): reading, cleaning, preprocessing or the ECG encoder changed. "
        f"{RERUN}"
    )
    ranking = mets_core.rank(
        shipped_model,
        record,
        REFERENCE["candidates"],
        template=REFERENCE["template"],
        center=REFERENCE["center"],
    )
    assert ranking[0].candidate == expected["top"], (
        f"{key}: the top answer is now {ranking[0].candidate!r}, was {expected['top']!r}. {RERUN}"
    )
    assert abs(ranking[0].cosine - expected["top_cosine"]) <= EMBEDDING_ATOL, (
        f"{key}: the top cosine is now {ranking[0].cosine:.6f}, was {expected['top_cosine']}: "
        f"the text side (language model, projection, template) changed. {RERUN}"
    )
