"""Model card and Home: headline numbers as tables from results/*.json, history as a plot."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mets_core.app.charts import plot_training_history
from mets_core.errors import DataError, METSError
from mets_core.evaluate import model_card

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"
SIDECAR = REPO / "weights" / "mets_resnet18.json"
HISTORY = [
    {"epoch": 0, "train_loss": 4.1, "val_loss": 5.5, "val_auroc": 0.56, "val_auroc_ma3": 0.56},
    {"epoch": 1, "train_loss": 3.8, "val_loss": 5.2, "val_auroc": 0.74, "val_auroc_ma3": 0.65},
    {"epoch": 2, "train_loss": 3.6, "val_loss": 5.3, "val_auroc": 0.70, "val_auroc_ma3": 0.67},
]


@pytest.mark.parametrize("stored", [HISTORY, str(HISTORY), json.dumps(HISTORY)])
def test_history_is_read_from_a_list_or_its_text(stored: object) -> None:
    history = model_card.training_history({"history": stored})
    assert list(history["epoch"]) == [0, 1, 2]
    assert model_card.kept_epoch(history) == 2  # best 3-epoch mean, not best single epoch
    summary = dict(zip(*model_card.training_summary({"history": stored}).T.values, strict=True))
    assert summary["epochs run"] == "3" and summary["epoch kept"].startswith("2")
    assert "[{" not in " ".join(summary.values())  # never the raw history


def test_unreadable_history_gives_empty_tables_and_a_plain_plot_error() -> None:
    for stored in (None, "not a list", "[1, 2]", 5):
        assert model_card.training_history({"history": stored}).empty
    with pytest.raises(METSError, match="no training history"):
        plot_training_history(pd.DataFrame())


def test_history_plot_has_both_losses_the_auroc_and_the_kept_epoch() -> None:
    history = model_card.training_history({"history": HISTORY})
    figure = plot_training_history(history, kept_epoch=2)
    assert {trace.name for trace in figure.data} == {
        "training loss",
        "fold-9 loss",
        "fold-9 macro AUROC",
    }
    assert all(len(trace.x) == 3 for trace in figure.data)
    assert any(shape.x0 == 2 for shape in figure.layout.shapes)


def test_an_ensemble_shows_each_runs_history_and_what_it_joins() -> None:
    single = {"history": HISTORY, "seed": 0}
    assert list(model_card.run_histories(single)) == ["these weights"]
    assert model_card.ensemble_runs(single).empty
    ensemble = {
        "seed": [0, 1],
        "ensemble_of": [
            {"weights": "runs/base_s0/mets_resnet18", "seed": 0, "sha256": "ab" * 32,
             "command": "mets train --seed 0", "history": HISTORY},
            {"weights": "runs/base_s1/mets_resnet18", "seed": 1, "sha256": "cd" * 32,
             "command": "mets train --seed 1", "history": []},
        ],
    }  # fmt: skip
    histories = model_card.run_histories(ensemble)
    assert list(histories) == ["base_s0"]  # a run without a history is left out, not an error
    assert model_card.kept_epoch(histories["base_s0"]) == 2
    runs = model_card.ensemble_runs(ensemble)
    assert list(runs["run"]) == ["base_s0", "base_s1"] and list(runs["seed"]) == [0, 1]
    assert runs["SHA-256"].str.len().max() == 12


@pytest.mark.skipif(not (RESULTS / "serving.json").is_file(), reason="no results/serving.json")
def test_tables_carry_the_numbers_of_the_results_files() -> None:
    serving = model_card.read_result(RESULTS / "serving.json")
    zero_shot = model_card.zero_shot_table(serving)
    assert list(zero_shot["task"]) == ["superclass", "subclass", "form", "rhythm"]
    for row in zero_shot.itertuples():
        expected = serving["fold10"][row.task]["macro_auroc"]["macro_auroc"]
        assert row._2 == pytest.approx(expected, abs=5e-4)  # "macro AUROC", rounded to 3 places
    evaluation = model_card.read_result(RESULTS / "evaluation.json")
    baselines = model_card.baseline_table(evaluation, serving)
    assert baselines.iloc[0]["method"] == "METS zero-shot, as served"
    assert baselines["method"].str.contains("supervised").any()
    assert baselines[["superclass", "rhythm"]].notna().all().all()
    external = model_card.external_table(model_card.read_result(RESULTS / "external_sites.json"))
    assert len(external) >= 1 and 0.0 <= external["rhythm macro AUROC"].iloc[0] <= 1.0
    abstain = model_card.abstain_table(model_card.read_result(RESULTS / "abstain.json"))
    real = abstain[abstain["kind"] == "real ECGs"]
    assert "PTB-XL fold 10" in set(real["input"])
    assert (abstain["abstained (%)"].between(0, 100)).all()


def test_a_broken_results_file_is_a_plain_error(tmp_path: Path) -> None:
    broken = tmp_path / "serving.json"
    broken.write_text("{not json")
    with pytest.raises(DataError, match="serving.json"):
        model_card.read_result(broken)
    assert model_card.zero_shot_table({}).empty and model_card.abstain_table({}).empty


@pytest.mark.skipif(not SIDECAR.is_file(), reason="no shipped weights")
def test_shipped_sidecar_gives_a_short_summary_and_a_bank_table() -> None:
    sidecar = json.loads(SIDECAR.read_text())
    summary = model_card.training_summary(sidecar["provenance"])
    assert 4 <= len(summary) <= 12
    assert not summary["value"].str.contains("train_loss").any()
    bank = model_card.reference_bank_summary(sidecar["reference_bank"])
    assert "ECGs" in set(bank["item"])


@pytest.mark.usefixtures("tiny_app_env")
def test_model_card_page_shows_tables_not_raw_json() -> None:
    at = AppTest.from_file(str(REPO / "pages" / "5_Model_Card.py"), default_timeout=60).run()
    assert not at.exception and not at.error
    assert len(at.json) <= 2  # the sidecar config and one results file, each in an expander
    if (RESULTS / "serving.json").is_file():
        assert len(at.dataframe) >= 4  # zero-shot, baselines, external sites, abstain
        assert "other weights" in " ".join(str(w.value) for w in at.warning)  # tiny != shipped
    text = " ".join(str(m.value) for m in at.markdown)
    assert "Reference bank" in text and "Abstain" in text


@pytest.mark.usefixtures("tiny_app_env")
def test_home_puts_quick_start_first_and_shows_no_raw_history() -> None:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert not at.exception and not at.error
    headings = [h.value for h in at.subheader]
    assert headings[0] == "Quick start" and "Model in use" in headings
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption])
    assert "train_loss" not in shown and "{'" not in shown


@pytest.mark.usefixtures("tiny_app_env")
def test_the_router_loads_the_model_once_before_any_page() -> None:
    from mets_core.app import model_cache

    model_cache._load_model_cached.clear()  # as after a server start
    model_cache._LOADED.clear()
    assert not model_cache.is_loaded()
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.switch_page("pages/8_Teaching.py").run()  # any page: the router loads first
    assert not at.exception and not at.error
    assert model_cache.is_loaded()
    assert not [s for s in at.status if "Loading the METS model" in str(s.label)]  # cleared


@pytest.mark.usefixtures("tiny_app_env")
def test_weights_that_cannot_load_are_a_plain_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("METS_WEIGHTS", str(tmp_path / "missing"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.error  # the page says why, in words
