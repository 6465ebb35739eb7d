"""Serve what was measured: the sidecar's fold-9 choices are what rank uses, and what we publish."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import REPO_ROOT, SHARED_DATA

import mets_core
from mets_core.evaluate import serving
from mets_core.model.checkpoint import DEFAULT_WEIGHTS, read_weights
from mets_core.zeroshot.prompts import available_prompt_sets, load_prompt_set
from mets_core.zeroshot.rank import fill_prompt, probability_meaning

PTBXL = SHARED_DATA / "ptb-xl"
needs_ptbxl = pytest.mark.skipif(
    not (PTBXL / "scp_statements.csv").is_file(), reason=f"PTB-XL data not found at {PTBXL}"
)


def test_shipped_sidecar_serves_what_serving_json_measured() -> None:
    """The published fold-10 numbers (results/serving.json) were made with the sidecar's choice."""
    for stem, results in (
        (DEFAULT_WEIGHTS, REPO_ROOT / "results" / "serving.json"),
        (DEFAULT_WEIGHTS.with_name("mets_resnet18_both"), REPO_ROOT / "results" / "variant_both"
         / "serving.json"),
    ):  # fmt: skip
        config, _, info = read_weights(stem)
        measured = json.loads(results.read_text())
        assert measured["weights"]["sha256"] == info.sha256, f"{results} measured other weights"
        chosen = measured["selection"]
        assert chosen["split"] == "val", "the serving choice must be made on fold 9"
        assert config.zero_shot_template == chosen["zero_shot_template"]
        assert info.selection["probability_temperature"] == chosen["probability_temperature"]
        table = chosen["fold9_macro_auroc"]
        assert max(table, key=lambda t: table[t]["mean"]) == chosen["zero_shot_template"]


def test_candidate_templates_are_every_prompt_set_template() -> None:
    templates = serving.candidate_templates()
    assert len(templates) == len(set(templates))
    for name in available_prompt_sets():
        for task_templates in load_prompt_set(name).templates.values():
            assert set(task_templates) <= set(templates)


def test_fit_temperature_recovers_the_temperature_that_made_the_labels() -> None:
    rng = np.random.default_rng(0)
    cosines = rng.normal(0.0, 0.1, size=(4000, 5))
    probabilities = serving.softmax(cosines, 0.05)
    truth = np.array([rng.choice(5, p=p) for p in probabilities])
    fitted = serving.fit_temperature([(cosines, truth)])
    assert 0.04 < fitted < 0.06
    calibrated = serving.top1_calibration(serving.softmax(cosines, fitted), truth)
    overconfident = serving.top1_calibration(serving.softmax(cosines, 0.01), truth)
    assert calibrated["expected_calibration_error"] < 0.03
    assert overconfident["expected_calibration_error"] > 0.2
    assert overconfident["mean_top1_probability"] > overconfident["top1_accuracy"]


def test_rank_serves_the_sidecar_template_and_temperature(tiny_model, ecg_12_lead) -> None:
    selection = {"zero_shot_template": "The report of the ECG is that {}.",
                 "probability_temperature": 0.5}  # fmt: skip
    served = serving.with_selection(tiny_model, selection)
    ranking = mets_core.rank(served, ecg_12_lead, ["normal ECG", "atrial fibrillation"])
    assert ranking[0].prompt == fill_prompt(selection["zero_shot_template"], ranking[0].candidate)
    assert ranking.calibrated and ranking.temperature == 0.5
    assert "fold 9" in probability_meaning(ranking)
    uncalibrated = mets_core.rank(tiny_model, ecg_12_lead, ["normal ECG", "atrial fibrillation"])
    assert not uncalibrated.calibrated and "not calibrated" in probability_meaning(uncalibrated)
    # a higher temperature flattens the same cosines
    assert abs(ranking[0].probability - 0.5) < abs(uncalibrated[0].probability - 0.5) + 1e-9
    assert ranking.to_dict()["calibrated"] is True


@needs_ptbxl
@pytest.mark.slow
def test_mets_select_writes_the_sidecar_it_reports(tiny_weights, tmp_path, capsys) -> None:
    stem = tmp_path / "w" / "tiny"
    stem.parent.mkdir()
    for suffix in (".safetensors", ".json"):
        shutil.copy(tiny_weights.with_suffix(suffix), stem.with_suffix(suffix))
    out = tmp_path / "out"
    argv = ["--weights", str(stem), "--data", str(PTBXL), "--out", str(out), "--write",
            "--max-records", "12", "--n-bootstrap", "0", "--device", "cpu"]  # fmt: skip
    assert serving.main(argv) == 0
    report = json.loads((out / "serving.json").read_text())
    model = mets_core.load_model(stem, device="cpu")
    assert model.config.zero_shot_template == report["selection"]["zero_shot_template"]
    assert model.calibrated
    assert model.probability_temperature == report["selection"]["probability_temperature"]
    for task in serving.SERVING_TASKS:
        assert (out / f"serving_{task}.csv").is_file()
    assert "served template (fold 9)" in capsys.readouterr().out
