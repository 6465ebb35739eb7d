"""The reference bank shipped with the weights: training folds only, verified, and what it powers
(percentiles, neighbours). Real records and the shipped weights; no network."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA

import mets_core
from mets_core.data.ptbxl import TRAIN_FOLDS, load_ptbxl_index, split_rows
from mets_core.errors import DataError, WeightsError
from mets_core.evaluate import reference as bank_command
from mets_core.io.examples import load_example
from mets_core.model.checkpoint import (
    DEFAULT_WEIGHTS,
    read_weights,
    sha256_file,
    weights_paths,
    write_reference_bank,
)
from mets_core.model.reference_bank import (
    ReferenceBank,
    bank_path,
    read_reference_bank,
    save_reference_bank,
)
from mets_core.zeroshot.abstain import NO_BANK_NOTE
from mets_core.zeroshot.labels import class_names
from mets_core.zeroshot.reference import reference_percentiles

PTBXL = SHARED_DATA / "ptb-xl"
SHIPPED = (DEFAULT_WEIGHTS, DEFAULT_WEIGHTS.with_name("mets_resnet18_both"))
needs_ptbxl = pytest.mark.skipif(
    not (PTBXL / "scp_statements.csv").is_file(), reason=f"PTB-XL data not found at {PTBXL}"
)


@pytest.fixture(scope="module")
def shipped():  # noqa: ANN201
    return mets_core.load_model(device="cpu")


def _bank(stem: Path) -> ReferenceBank:
    config, _, info = read_weights(stem)
    block = info.reference_bank
    return read_reference_bank(
        bank_path(info.path, block["file"]), block["sha256"], config.embedding_dim
    )


@pytest.mark.parametrize("stem", SHIPPED, ids=lambda s: s.name)
def test_shipped_sidecar_names_a_small_verified_bank(stem: Path) -> None:
    config, _, info = read_weights(stem)
    block = info.reference_bank
    path = bank_path(info.path, block["file"])
    assert block["sha256"] == sha256_file(path)
    assert block["folds"] == list(TRAIN_FOLDS)
    float16_embeddings = block["n"] * config.embedding_dim * 2
    assert path.stat().st_size < float16_embeddings + 500_000  # + compressed labels and text
    with np.load(path, allow_pickle=False) as arrays:
        assert arrays["embeddings"].dtype == np.float16
    bank = _bank(stem)
    assert len(bank) == block["n"] > 1000
    assert np.allclose(np.linalg.norm(bank.embeddings, axis=1), 1.0, atol=1e-5)


@needs_ptbxl
@pytest.mark.parametrize("stem", SHIPPED, ids=lambda s: s.name)
def test_bank_holds_only_training_fold_records(stem: Path) -> None:
    """Folds re-read from the CSV files themselves (not through mets_core), as test_leakage."""
    database = pd.read_csv(PTBXL / "ptbxl_database.csv")[["ecg_id", "strat_fold"]]
    merl = pd.concat(
        pd.read_csv(p)[["ecg_id", "strat_fold"]]
        for p in (PTBXL / "derived" / "merl_splits").glob("ptbxl_*_ids*.csv")
    )
    fold_of = dict(pd.concat([database, merl]).drop_duplicates().itertuples(index=False))
    bank = _bank(stem)
    assert all(fold_of[int(i)] in TRAIN_FOLDS for i in bank.ecg_ids)
    assert [fold_of[int(i)] for i in bank.ecg_ids] == bank.strat_folds.tolist()
    held_out = {i for i, fold in fold_of.items() if fold in (9, 10)}
    assert held_out and not held_out & set(bank.ecg_ids.tolist())
    assert len(set(bank.ecg_ids.tolist())) == len(bank)


@needs_ptbxl
def test_bank_rows_carry_labels_and_reports() -> None:
    bank = _bank(DEFAULT_WEIGHTS)
    raw = pd.read_csv(PTBXL / "ptbxl_database.csv").set_index("ecg_id")["report"]
    assert all(
        set(labels) == {"superclass", "subclass", "form", "rhythm"} for labels in bank.labels
    )
    assert sum(bool(labels["superclass"]) for labels in bank.labels) > 0.9 * len(bank)
    assert all(report for report in bank.reports)
    originals = 0
    for ecg_id, original in zip(bank.ecg_ids, bank.original_reports, strict=True):
        if original is not None:
            originals += 1
            assert original == raw[int(ecg_id)].strip()
    assert originals > 300  # the local metadata has report text for 732 records


def test_bank_round_trip_and_refusals(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    embeddings = rng.standard_normal((4, 8)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    bank = ReferenceBank(
        embeddings,
        np.arange(1, 5),
        np.array([1, 2, 3, 8]),
        tuple({"superclass": ("NORM",)} for _ in range(4)),
        ("sinus rhythm.",) * 4,
        (None, "sinusrhythmus", None, None),
    )
    path = tmp_path / "x.bank.npz"
    save_reference_bank(path, bank)
    read = read_reference_bank(path, sha256_file(path), dim=8)
    assert np.allclose(read.embeddings, embeddings, atol=1e-3)
    assert read.original_reports == bank.original_reports and read.labels == bank.labels
    with pytest.raises(WeightsError, match="not a mets-reference-bank"):
        read_reference_bank(path, sha256_file(path), dim=16)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="does not match its recorded checksum"):
        read_reference_bank(path, "0" * 64, dim=8)


def _copy_shipped(tmp_path: Path) -> Path:
    tensor, sidecar = weights_paths(DEFAULT_WEIGHTS)
    _, _, info = read_weights(DEFAULT_WEIGHTS)
    for path in (tensor, sidecar, bank_path(info.path, info.reference_bank["file"])):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / DEFAULT_WEIGHTS.name


def test_tampered_or_missing_bank_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    stem = _copy_shipped(tmp_path)
    bank_file = tmp_path / read_weights(stem)[2].reference_bank["file"]
    data = bytearray(bank_file.read_bytes())
    data[100] ^= 0x01
    bank_file.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="reference bank .* does not match its recorded"):
        mets_core.load_model(stem, device="cpu")
    bank_file.unlink()
    with pytest.raises(WeightsError, match="reference bank .* is missing"):
        mets_core.load_model(stem, device="cpu")


def test_weights_without_a_bank_still_rank(tiny_weights: Path) -> None:
    model = mets_core.load_model(tiny_weights, device="cpu")
    assert model.reference is None and model.weights.reference_bank == {}
    ranking = mets_core.rank(model, load_example("ptbxl_normal"), ["normal ECG", "AF"])
    assert ranking.neighbours is None
    assert all(item.percentile is None for item in ranking)
    assert NO_BANK_NOTE in ranking.notes
    assert ranking.abstain is False and ranking.abstain_reason is None
    assert ranking.to_dict()["neighbours"] is None


def test_percentiles_are_in_range_and_follow_the_cosine(shipped) -> None:  # noqa: ANN001
    ranking = mets_core.rank(shipped, load_example("ptbxl_lbbb"), class_names("superclass"))
    assert all(0.0 <= item.percentile <= 100.0 for item in ranking)
    assert {"percentile"} <= set(ranking.to_dict()["ranking"][0])
    from mets_core.zeroshot.rank import build_label_embeddings

    label = build_label_embeddings(shipped, ["left bundle branch block"])
    cosines = np.linspace(-1.0, 1.0, 201)
    percentiles = [
        reference_percentiles(shipped.reference, label, np.array([c]))[0] for c in cosines
    ]
    assert np.all(np.diff(percentiles) >= 0)
    assert percentiles[0] == 0.0 and percentiles[-1] == 100.0


def test_neighbours_are_the_most_similar_reference_ecgs(shipped) -> None:  # noqa: ANN001
    ranking = mets_core.rank(shipped, load_example("ptbxl_normal"), ["normal ECG"])
    neighbours = ranking.neighbours
    assert len(neighbours) == 5
    cosines = [n.cosine for n in neighbours]
    assert cosines == sorted(cosines, reverse=True) and cosines[0] > 0.5
    assert set(n.ecg_id for n in neighbours) <= set(shipped.reference.ecg_ids.tolist())
    assert all(n.labels["superclass"] and n.report for n in neighbours)
    payload = ranking.to_dict()["neighbours"][0]
    assert set(payload) == {"ecg_id", "cosine", "labels", "report", "original_report"}
    assert "patient" not in str(payload).lower()


@needs_ptbxl
def test_build_bank_refuses_held_out_folds(tiny_model) -> None:  # noqa: ANN001
    index = load_ptbxl_index(PTBXL)
    with pytest.raises(DataError, match="folds 1-8 only"):
        bank_command.build_bank(tiny_model, index.root, split_rows(index, "val")[:2], False)


@needs_ptbxl
def test_mets_bank_writes_bank_and_thresholds_into_the_sidecar(tiny_weights, tmp_path) -> None:  # noqa: ANN001
    tensor, sidecar = weights_paths(tiny_weights)
    for path in (tensor, sidecar):
        shutil.copy(path, tmp_path / path.name)
    stem = tmp_path / tiny_weights.name
    config_before = read_weights(stem)[0]
    argv = ["--weights", str(stem), "--data", str(PTBXL), "--max-records", "6"]
    assert bank_command.main([*argv, "--controls", "1", "--device", "cpu"]) == 0
    config, _, info = read_weights(stem)
    assert config == config_before  # the config (and its strict reading) is untouched
    assert info.reference_bank["n"] == 6 and set(info.reference_bank["folds"]) <= set(TRAIN_FOLDS)
    assert info.abstain["split"] == "val" and info.abstain["n_records"] == 6
    model = mets_core.load_model(stem, device="cpu")
    assert len(model.reference) == 6
    ranking = mets_core.rank(model, load_example("ptbxl_normal"), ["normal ECG"])
    assert len(ranking.neighbours) == 5 and ranking[0].percentile is not None
    write_reference_bank(stem, {}, {})  # removing the bank: weights work without one
    assert mets_core.load_model(stem, device="cpu").reference is None
