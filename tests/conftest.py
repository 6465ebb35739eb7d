"""Shared fixtures: synthetic ECGs, a tiny random text model (no download), a tiny checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

import neurokit2 as nk
import numpy as np
import pytest

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # tests run on CPU (open_clip does the same)
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may download

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def imported_roots(path: Path) -> set[str]:
    """Top-level package names a file imports anywhere (module level or inside functions)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(
    set(
        "the of ecg a is that normal sinus rhythm atrial fibrillation left bundle branch block "
        "myocardial infarction hypertrophy tachycardia bradycardia report type diagnostic form "
        "st t change conduction disturbance premature ventricular complex beat right wave".split()
    )
)


@pytest.fixture(scope="session")
def tiny_text_model_dir(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer BERT with a 60-word vocabulary, saved like a hub model."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_bert")
    (folder / "vocab.txt").write_text("\n".join(_VOCAB) + "\n")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(_VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_config(tiny_text_model_dir):
    from mets_core.config import ECGEncoderConfig, METSConfig, TextEncoderConfig

    return METSConfig(
        ecg=ECGEncoderConfig(stage_widths=(8, 16, 16, 32), blocks_per_stage=(1, 1, 1, 1)),
        text=TextEncoderConfig(model_id=str(tiny_text_model_dir), max_tokens=32),
        proj_dim=16,
    )


@pytest.fixture(scope="session")
def tiny_model(tiny_config):
    from mets_core.model.load import load_model

    return load_model(random_init=True, config=tiny_config, device="cpu")


@pytest.fixture(scope="session")
def tiny_weights(tiny_model, tmp_path_factory) -> Path:
    """A tiny random-init checkpoint (safetensors + sidecar); returns the stem path."""
    from mets_core.model.checkpoint import save_weights

    stem = tmp_path_factory.mktemp("weights") / "tiny"
    save_weights(
        stem,
        tiny_model.module.trainable_state_dict(),
        tiny_model.config,
        {"trained": False, "note": "tiny random-init test checkpoint"},
    )
    return stem


def simulate_12_lead(
    duration_s: float = 10.0, fs_hz: int = 500, heart_rate_bpm: int = 70, seed: int = 0
):
    """A synthetic 12-lead ECGRecord in mV (neurokit2 multileads simulation)."""
    from mets_core.record import ECGRecord

    frame = nk.ecg_simulate(
        duration=duration_s,
        sampling_rate=fs_hz,
        heart_rate=heart_rate_bpm,
        method="multileads",
        random_state=seed,
    )
    return ECGRecord(
        frame.to_numpy().T.astype(np.float32),
        float(fs_hz),
        tuple(str(c) for c in frame.columns),
        source="synthetic",
    )


@pytest.fixture
def ecg_12_lead():
    return simulate_12_lead()


APP_OPERATOR_VARIABLES = (
    "METS_DATA_DIR",
    "METS_PTBXL_ROOTS",
    "METS_MITBIH_ROOTS",
    "METS_SESSION_UPLOAD_MB",
)


@pytest.fixture
def tiny_app_env(monkeypatch: pytest.MonkeyPatch, tiny_weights: Path) -> None:
    """The app as the AppTests run it: tiny weights on CPU, no operator settings (dataset roots
    fall back to the ../shared/data copies when present; the default upload cap).

    The model is cached per (weights, device) for the whole test process, as in the server.
    """
    monkeypatch.setenv("METS_WEIGHTS", str(tiny_weights))
    monkeypatch.setenv("METS_DEVICE", "cpu")
    for name in APP_OPERATOR_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def element_texts(elements) -> str:  # noqa: ANN001 (an AppTest ElementList)
    """Every element's value joined with spaces, for `in` checks on what a page shows."""
    return " ".join(str(element.value) for element in elements)
