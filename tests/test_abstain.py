"""Abstain: flat lines, noise and other non-ECGs at any scale are refused in words; the real
bundled examples are read. Shipped weights (with their bank) and a tiny checkpoint without one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mets_core
from mets_core import cli
from mets_core.errors import ECGInputError
from mets_core.evaluate import non_ecg
from mets_core.io.examples import EXAMPLES_DIR, list_examples, load_example
from mets_core.model.checkpoint import DEFAULT_WEIGHTS, read_weights
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot import sanity
from mets_core.zeroshot.abstain import (
    DEFAULT_THRESHOLDS,
    NO_BANK_NOTE,
    controls_line,
    limb_residual,
    slope_kurtosis,
)
from mets_core.zeroshot.labels import class_names

SHIPPED = (DEFAULT_WEIGHTS, DEFAULT_WEIGHTS.with_name("mets_resnet18_both"))
CANDIDATES = class_names("superclass")
EXAMPLE_KEYS = [info.key for info in list_examples()]


@pytest.fixture(scope="module")
def shipped():  # noqa: ANN201
    return mets_core.load_model(device="cpu")


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_real_bundled_examples_are_read(shipped, key: str) -> None:  # noqa: ANN001
    ranking = mets_core.rank(shipped, load_example(key), CANDIDATES)
    assert ranking.abstain is False, ranking.abstain_reason
    assert ranking.abstain_reason is None
    assert ranking.to_dict()["abstain"] is False


@pytest.mark.parametrize("kind", non_ecg.FROM_RECORD)
def test_flat_line_noise_and_shuffled_leads_abstain(shipped, kind: str) -> None:  # noqa: ANN001
    rng = np.random.default_rng(0)
    for key in ("ptbxl_normal", "ptbxl_afib"):
        control = non_ecg.record_control(kind, load_example(key), rng)
        ranking = mets_core.rank(shipped, control, CANDIDATES)
        assert ranking.abstain, f"{kind} from {key} was read as an ECG"
        assert ranking.abstain_reason and "ECG" in ranking.abstain_reason
        assert len(ranking) == len(CANDIDATES)  # the ranking stays available for inspection


@pytest.mark.parametrize(
    "kind", ["noise", "sine", "square wave", "random walk", "constant offset", "clipped noise"]
)
def test_synthetic_non_ecgs_abstain_however_scaled(shipped, kind: str) -> None:  # noqa: ANN001
    rng = np.random.default_rng(1)
    for scale in (0.01, *non_ecg.SCALES_MV, 50.0):
        record = non_ecg.synthetic_record(kind, scale, rng)
        try:
            ranking = mets_core.rank(shipped, record, CANDIDATES)
        except ECGInputError:  # refused outright (every lead constant): stronger than abstaining
            continue
        assert ranking.abstain, f"{kind} at {scale} mV was read as an ECG"


def test_without_a_bank_the_signal_checks_still_abstain(tiny_weights: Path) -> None:
    model = mets_core.load_model(tiny_weights, device="cpu")
    rng = np.random.default_rng(0)
    flat = non_ecg.record_control("flat line", load_example("ptbxl_normal"), rng)
    ranking = mets_core.rank(model, flat, CANDIDATES)
    assert ranking.abstain and NO_BANK_NOTE in ranking.notes
    assert ranking.input_checks["reference_similarity"] is None
    sine = non_ecg.synthetic_record("sine", 1.0, rng)
    assert mets_core.rank(model, sine, CANDIDATES).abstain
    for key in EXAMPLE_KEYS:
        assert not mets_core.rank(model, load_example(key), CANDIDATES).abstain, key


@pytest.mark.parametrize("stem", SHIPPED, ids=lambda s: s.name)
def test_thresholds_were_chosen_on_fold_9_and_recorded(stem: Path) -> None:
    _, _, info = read_weights(stem)
    block = info.abstain
    assert block["split"] == "val" and block["n_records"] > 200
    assert {"min_reference_similarity", "max_limb_residual", "min_slope_kurtosis"} <= set(
        block["rule"]
    )
    assert block["fold9"]["ecg_abstain_rate"] <= 0.02
    assert "mets bank" in block["command"]


def test_default_signal_thresholds_are_the_shipped_ones() -> None:
    """Weights without an `abstain` block use what fold 9 chose for the shipped weights."""
    block = read_weights(DEFAULT_WEIGHTS)[2].abstain
    limb, slope = block["max_limb_residual"], block["min_slope_kurtosis"]
    assert DEFAULT_THRESHOLDS.max_limb_residual == pytest.approx(limb, abs=1e-4)
    assert DEFAULT_THRESHOLDS.min_slope_kurtosis == pytest.approx(slope, abs=1e-4)
    assert DEFAULT_THRESHOLDS.min_reference_similarity is None  # needs a bank


def test_limb_residual_and_slope_kurtosis_measure_what_they_say(tiny_model) -> None:  # noqa: ANN001
    record = load_example("ptbxl_normal")
    assert limb_residual(record) < 0.05  # III = II - I holds in a real recording
    shuffled = non_ecg.record_control("leads shuffled", record, np.random.default_rng(3))
    assert limb_residual(shuffled) > 0.5
    config = tiny_model.config.preprocess

    def slope(r) -> float:  # noqa: ANN001
        return slope_kurtosis(preprocess_for_model(r, config), config.fs_hz, r.duration_s)

    rng = np.random.default_rng(0)
    assert slope(record) > 6.0
    assert slope(non_ecg.synthetic_record("noise", 1.0, rng)) == pytest.approx(3.0, abs=0.3)
    assert slope(non_ecg.synthetic_record("sine", 1.0, rng)) < 2.0


def test_controls_line_says_whether_the_top_answer_survives(shipped) -> None:  # noqa: ANN001
    record = load_example("ptbxl_lbbb")
    ranking = mets_core.rank(shipped, record, CANDIDATES)
    line = controls_line(sanity.sanity_check(shipped, record, ranking))
    assert line.startswith("Controls:") and "\n" not in line
    assert ("survive" in line) or ("default" in line)


def test_cli_json_carries_abstain_fields(tiny_weights: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    rng = np.random.default_rng(0)
    flat = non_ecg.record_control("flat line", load_example("ptbxl_normal"), rng)
    path = tmp_path / "flat.npy"
    np.save(path, flat.signal)
    base = ["--candidate", "normal ECG", "--weights", str(tiny_weights), "--json"]
    assert cli.main(["rank", str(path), "--fs-hz", "500", *base]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["abstain"] is True and "ECG" in payload["abstain_reason"]
    assert cli.main(["rank", str(EXAMPLES_DIR / "00417_hr.hea"), *base]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["abstain"] is False and payload["abstain_reason"] is None
