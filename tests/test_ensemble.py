"""Ensembles of runs trained apart (`mets ensemble`, `model.mets.METSEnsemble`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mets_core.errors import WeightsError
from mets_core.model.checkpoint import read_weights, save_weights
from mets_core.model.ensemble import TRAINING_FOLDS, build_ensemble
from mets_core.model.ensemble import main as ensemble_main
from mets_core.model.load import encode_ecg, encode_text, load_model
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot.rank import rank
from tests.conftest import simulate_12_lead

CANDIDATES = ["normal ECG", "atrial fibrillation", "left bundle branch block"]


def _trained_run(tiny_config, folder: Path, seed: int, **provenance) -> Path:
    """A tiny run with distinct random weights, recorded as trained on folds 1-8."""
    model = load_model(random_init=True, config=tiny_config, device="cpu", seed=seed)
    stem = folder / f"run_s{seed}"
    save_weights(
        stem,
        model.module.trainable_state_dict(),
        model.config,
        {
            "trained": True,
            "seed": seed,
            "report_source": "generated",
            "training_folds": TRAINING_FOLDS,
            "command": f"test run {seed}",
        }
        | provenance,
    )
    return stem


@pytest.fixture(scope="module")
def runs(tiny_config, tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("runs")
    return [_trained_run(tiny_config, folder, seed) for seed in (0, 1, 2)]


def test_ensemble_cosine_is_the_mean_of_its_runs(runs, tmp_path):
    out = tmp_path / "ens"
    build_ensemble(runs, out, "test")
    ensemble = load_model(out, "cpu")
    members = [load_model(stem, "cpu") for stem in runs]
    record = simulate_12_lead(fs_hz=500, seed=3)
    windows = preprocess_for_model(record, ensemble.config.preprocess).windows

    ecg = encode_ecg(ensemble, windows)
    text = encode_text(ensemble, CANDIDATES)
    assert ecg.shape == (ensemble.config.embedding_dim,) == (3 * ensemble.config.proj_dim,)
    assert torch.allclose(ecg.norm(), torch.tensor(1.0), atol=1e-5)
    assert torch.allclose(text.norm(dim=-1), torch.ones(len(CANDIDATES)), atol=1e-5)
    member_cosines = [encode_text(m, CANDIDATES) @ encode_ecg(m, windows) for m in members]
    expected = torch.stack(member_cosines).mean(dim=0)
    assert torch.allclose(text @ ecg, expected, atol=1e-5)

    served = {r.candidate: r.cosine for r in rank(ensemble, record, CANDIDATES, "{}")}
    assert np.allclose([served[c] for c in CANDIDATES], expected.numpy(), atol=1e-5)


def test_ensemble_weights_round_trip_and_record_their_runs(runs, tmp_path):
    out = tmp_path / "ens"
    info = build_ensemble(runs[:2], out, "mets ensemble --members a b --out ens")
    config, state, read_info = read_weights(out)
    assert config.ensemble_size == 2 and read_info.sha256 == info.sha256
    assert {key.split(".")[1] for key in state} == {"0", "1"}
    provenance = read_info.provenance
    assert provenance["training_folds"] == TRAINING_FOLDS
    assert [m["sha256"] for m in provenance["ensemble_of"]] == [
        read_weights(stem)[2].sha256 for stem in runs[:2]
    ]
    assert read_info.selection == {}  # chosen afterwards on fold 9, like a trained run


def test_schema_2_sidecars_still_load(tiny_weights, tmp_path):
    sidecar = json.loads(tiny_weights.with_suffix(".json").read_text())
    sidecar["schema_version"] = 2
    del sidecar["config"]["ensemble_size"]
    stem = tmp_path / "old"
    stem.with_suffix(".json").write_text(json.dumps(sidecar))
    stem.with_suffix(".safetensors").write_bytes(
        tiny_weights.with_suffix(".safetensors").read_bytes()
    )
    config, _, _ = read_weights(stem)
    assert config.ensemble_size == 1


def test_refuses_runs_that_cannot_be_joined(runs, tiny_config, tiny_weights, tmp_path):
    with pytest.raises(WeightsError, match="at least two"):
        build_ensemble(runs[:1], tmp_path / "one", "test")
    with pytest.raises(WeightsError, match="not a trained run"):
        build_ensemble([runs[0], tiny_weights], tmp_path / "untrained", "test")
    leaky = _trained_run(tiny_config, tmp_path, 5, training_folds=list(range(1, 10)))
    with pytest.raises(WeightsError, match="folds 1-8"):
        build_ensemble([runs[0], leaky], tmp_path / "leaky", "test")
    other_text = _trained_run(tiny_config, tmp_path, 6, report_source="original")
    with pytest.raises(WeightsError, match="same report text"):
        build_ensemble([runs[0], other_text], tmp_path / "mixed", "test")
    build_ensemble(runs[:2], tmp_path / "pair", "test")
    with pytest.raises(WeightsError, match="already an ensemble"):
        build_ensemble([runs[2], tmp_path / "pair"], tmp_path / "nested", "test")


def test_command_line_writes_weights_and_says_what_comes_next(runs, tmp_path, capsys):
    out = tmp_path / "cli"
    assert ensemble_main(["--members", *map(str, runs), "--out", str(out)]) == 0
    assert "mets select" in capsys.readouterr().out
    assert out.with_suffix(".safetensors").is_file()
    assert ensemble_main(["--members", str(runs[0]), "--out", str(tmp_path / "x")]) == 2
    assert "at least two" in capsys.readouterr().err


def test_an_untrained_ensemble_has_the_ensemble_embedding_size(tiny_config):
    from dataclasses import replace

    model = load_model(random_init=True, config=replace(tiny_config, ensemble_size=2), device="cpu")
    record = simulate_12_lead(fs_hz=500, seed=4)
    windows = preprocess_for_model(record, model.config.preprocess).windows
    assert encode_ecg(model, windows).shape == (model.config.embedding_dim,)
    assert encode_text(model, CANDIDATES).shape == (len(CANDIDATES), model.config.embedding_dim)
