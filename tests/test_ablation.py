"""The issue-13 ablation table: run names, missing runs, seed grouping, the per-weights cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mets_core.errors import DataError
from mets_core.evaluate import ablation
from mets_core.evaluate.ablation import (
    CACHE_VERSION,
    RunSpec,
    build_table,
    evaluate_run,
    group_by_recipe,
    measured_by_select,
    parse_run,
    readiness,
    render_markdown,
)
from mets_core.evaluate.lead_subsets import LEAD_SUBSETS
from mets_core.evaluate.serving import SERVING_TASKS
from mets_core.model.checkpoint import write_selection
from mets_core.model.load import load_model


def test_run_names_give_recipe_and_stem(tmp_path):
    folder = tmp_path / "robust_s1"
    folder.mkdir()
    spec = parse_run(f"robust_s1={folder}")
    assert spec.recipe == "robust" and spec.stem == folder / "mets_resnet18"
    shipped = Path(__file__).resolve().parents[1] / "weights" / "mets_resnet18"
    assert parse_run(f"base_s0={shipped}").stem == shipped  # a stem with its .safetensors
    later = tmp_path / "robust_s2"  # not trained yet: a folder that will hold mets_resnet18
    assert parse_run(f"robust_s2={later}").stem == later / "mets_resnet18"
    assert parse_run("x=a/b.safetensors").stem == Path("a/b")
    assert RunSpec("abl_augment_s0", Path("x")).recipe == "abl_augment"
    assert RunSpec("shipped", Path("x")).recipe == "shipped"  # no seed suffix: its own recipe
    for bad in ("robust_s0", "=runs/x", "name="):
        with pytest.raises(DataError, match="NAME=DIR"):
            parse_run(bad)


def test_missing_and_unselected_runs_are_skipped_with_a_reason(tmp_path, tiny_weights):
    missing = RunSpec("robust_s2", tmp_path / "robust_s2" / "mets_resnet18")
    assert "not trained yet" in readiness(missing)
    unselected = RunSpec("tiny_s0", tiny_weights)  # a sidecar without the fold-9 selection
    assert "selection" in readiness(unselected)
    table = build_table([missing, unselected], tmp_path / "no-ptbxl", None, tmp_path, "cpu")
    assert table["rows"] == [] and table["runs"] == []
    assert [s["run"] for s in table["skipped"]] == ["robust_s2", "tiny_s0"]
    markdown = render_markdown(table, "python benchmarks/ablation.py")
    assert "robust_s2" in markdown and "not trained yet" in markdown
    assert "Fold 9" in markdown and "reported only" in markdown
    model = load_model(str(tiny_weights), "cpu")  # --include-unselected: a provisional row
    entry = {"cache_version": CACHE_VERSION, "template": model.config.zero_shot_template}
    entry |= _numbers(0.8, 0.7) | {"weights_sha256": model.weights.sha256}
    entry["provenance"] = {"fold9_selected": False, "epochs_at_best": 9, "epochs": 34}
    (tmp_path / f"{model.weights.sha256}.json").write_text(json.dumps(entry))
    table = build_table(
        [unselected], tmp_path / "no-ptbxl", None, tmp_path, "cpu", require_selection=False
    )
    assert [row["recipe"] for row in table["rows"]] == ["tiny"] and not table["skipped"]
    assert "PROVISIONAL: no fold-9 selection yet" in render_markdown(table, "cmd")


def _numbers(fold9: float, af: float) -> dict:
    block = {"macro_auroc": fold9}
    leads = {
        s: {"rhythm": {"macro_auroc": 0.8}, "superclass": {"macro_auroc": None}}
        for s in LEAD_SUBSETS
    }
    return {
        "fold9": {t: block for t in SERVING_TASKS},
        "fold10": {t: {"macro_auroc": 0.7} for t in SERVING_TASKS},
        "cinc_external": {
            "rhythm": {"macro_auroc": 0.8},
            "af": {"macro_auroc": af},
            "shared": {"macro_auroc": 0.75},
        },
        "lead_subsets_fold10": leads,
    }


def test_seeds_of_one_recipe_are_averaged_with_their_spread():
    runs = [
        (RunSpec("robust_s0", Path("a")), _numbers(0.80, 0.6)),
        (RunSpec("robust_s1", Path("b")), _numbers(0.84, 0.8)),
        (RunSpec("base_s0", Path("c")), _numbers(0.70, 0.7)),
    ]
    rows = {row["recipe"]: row for row in group_by_recipe(runs)}
    robust, base = rows["robust"]["columns"], rows["base"]["columns"]
    assert rows["robust"]["n_seeds"] == 2 and rows["robust"]["runs"] == ["robust_s0", "robust_s1"]
    assert robust["fold9_rhythm"]["mean"] == pytest.approx(0.82)
    assert robust["fold9_rhythm"]["sd"] == pytest.approx(0.0283, abs=1e-3)
    assert robust["cinc_af"]["mean"] == pytest.approx(0.7)
    assert base["fold9_rhythm"]["sd"] is None  # one seed: no spread claimed
    assert robust["leads_1 lead (II)_superclass"]["mean"] is None  # not measurable: no number
    table = {"what": "w", "decides": ablation.DECIDES, "rows": list(rows.values()), "runs": []}
    table["skipped"] = []
    markdown = render_markdown(table, "cmd")
    assert "0.820 ± 0.028" in markdown and "| base | 1 (base_s0) |" in markdown


def test_fold_9_alone_picks_the_recipe():
    runs = [
        (RunSpec("robust_s0", Path("a")), _numbers(0.80, 0.6)),
        (RunSpec("base_s0", Path("c")), _numbers(0.70, 0.99)),  # best elsewhere, worse on fold 9
    ]
    rows = group_by_recipe(runs)
    choice = ablation.fold9_choice(rows)
    assert choice["recipe"] == "robust"
    assert choice["fold9_mean_macro_auroc"] == pytest.approx(ablation.fold9_mean(rows[0]))
    table = {"what": "w", "decides": ablation.DECIDES, "rows": rows, "runs": [], "skipped": []}
    table["fold9_choice"] = choice
    assert "Fold 9 picks `robust`" in render_markdown(table, "cmd")
    assert ablation.fold9_choice([]) is None


def test_each_weights_file_is_evaluated_once_and_a_stale_entry_is_not_used(tmp_path, tiny_weights):
    stem = tmp_path / "tiny"
    for suffix in (".safetensors", ".json"):
        stem.with_suffix(suffix).write_bytes(tiny_weights.with_suffix(suffix).read_bytes())
    write_selection(stem, "The ECG shows {}.", {"zero_shot_template": "The ECG shows {}."})
    spec = RunSpec("tiny_s0", stem)
    assert readiness(spec) is None
    model = load_model(str(stem), "cpu")
    entry = {"cache_version": CACHE_VERSION, "template": model.config.zero_shot_template}
    entry |= _numbers(0.8, 0.7)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"{model.weights.sha256}.json").write_text(json.dumps(entry))
    no_data = tmp_path / "no-ptbxl"  # any evaluation would fail on it: the cache must answer
    assert evaluate_run(spec, no_data, None, cache, "cpu")["cached"] is True
    # a part asked for but not cached (MIT-BIH) is computed alone, not the whole entry again
    with pytest.raises(DataError, match="no-mitbih"):
        evaluate_run(spec, no_data, None, cache, "cpu", mitbih=tmp_path / "no-mitbih")
    entry["template"] = "another template {}"
    (cache / f"{model.weights.sha256}.json").write_text(json.dumps(entry))
    with pytest.raises(DataError):  # stale (other template): evaluated again, here without data
        evaluate_run(spec, no_data, None, cache, "cpu")


def test_numbers_of_mets_select_are_reused_only_for_the_same_weights_and_template(
    tmp_path, tiny_model
):
    template = tiny_model.config.zero_shot_template
    fold9 = {t: 0.6 for t in SERVING_TASKS} | {"mean": 0.6}
    fold10 = {t: {"macro_auroc": 0.7, "ci95": [0.6, 0.8]} for t in SERVING_TASKS}
    serving = {
        "weights": {"sha256": tiny_model.weights.sha256},
        "selection": {
            "zero_shot_template": template,
            "fold9_macro_auroc": {template: fold9},
            "n_records": 245,
        },
        "fold10": {t: {"macro_auroc": fold10[t]} for t in SERVING_TASKS},
    }
    path = tmp_path / "serving.json"
    path.write_text(json.dumps(serving))
    known = measured_by_select(tiny_model, [tmp_path / "absent.json", path])
    assert known["fold9"]["rhythm"] == {"macro_auroc": 0.6}
    assert known["fold10"]["form"]["ci95"] == [0.6, 0.8]
    for change in ("weights", "template"):
        other = json.loads(path.read_text())
        if change == "weights":
            other["weights"]["sha256"] = "0" * 64
        else:
            other["selection"]["zero_shot_template"] = "another {}"
        path.write_text(json.dumps(other))
        assert measured_by_select(tiny_model, [path]) is None


def test_a_recipe_over_the_serving_budget_is_not_picked_however_good_on_fold_9():
    runs = [
        (RunSpec("base_s0", Path("a")), _numbers(0.80, 0.6) | {"towers": 1}),
        (RunSpec("ens_big", Path("b")), _numbers(0.95, 0.6) | {"towers": 4}),
    ]
    rows = group_by_recipe(runs)
    assert {row["recipe"]: row["towers"] for row in rows} == {"base": 1, "ens_big": 4}
    choice = ablation.fold9_choice(rows)
    assert choice["recipe"] == "base" and choice["over_budget"] == ["ens_big"]
    table = {"what": "w", "decides": ablation.DECIDES, "rows": rows, "runs": [], "skipped": []}
    markdown = render_markdown(table | {"fold9_choice": choice}, "cmd")
    assert "Fold 9 picks `base`" in markdown and "not eligible to ship: `ens_big`" in markdown
