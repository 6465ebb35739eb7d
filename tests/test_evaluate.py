"""Evaluation: metrics, prompt sets, fold discipline (guards) and the whole report on small data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from mets_core.data.pairs import label_matrix
from mets_core.data.ptbxl import TASKS, PTBXLRow, load_ptbxl_index, split_rows
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import DataError, LabelInputError
from mets_core.evaluate import run as evaluate
from mets_core.evaluate.baselines import linear_probe, supervised_baseline, supervised_scores
from mets_core.evaluate.explore import read_predictions
from mets_core.evaluate.metrics import auroc_by_ranks, bootstrap_macro_auroc
from mets_core.evaluate.protocols import (
    PROTOCOL_A_CLASSES,
    SplitData,
    balanced_set,
    protocol_a,
    protocol_b,
    require_selection_rows,
    select_prompt_set,
)
from mets_core.zeroshot.prompts import (
    PROMPT_SET_DIR,
    PROMPT_TASK_CLASSES,
    available_prompt_sets,
    load_prompt_set,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PTBXL = SHARED / "ptb-xl"
needs_ptbxl = pytest.mark.skipif(
    not (PTBXL / "scp_statements.csv").is_file(), reason=f"PTB-XL data not found at {PTBXL}"
)


@pytest.fixture(scope="module")
def index():
    return load_ptbxl_index(PTBXL)


def _row(ecg_id: int, fold: int, **labels) -> PTBXLRow:
    full = {t: tuple(labels.get(t, ())) for t in TASKS}
    return PTBXLRow(ecg_id, ecg_id, fold, f"x/{ecg_id}", None, None, None, full)


def test_rank_auroc_matches_sklearn_with_ties():
    rng = np.random.default_rng(0)
    labels = rng.random((6, 40)) < 0.3
    scores = rng.integers(0, 5, (6, 40)).astype(float)  # many ties
    expected = [roc_auc_score(y, s) for y, s in zip(labels, scores, strict=True)]
    np.testing.assert_allclose(auroc_by_ranks(labels, scores), expected)
    assert np.isnan(auroc_by_ranks(np.zeros((1, 5), bool), scores[:1, :5]))[0]


def test_bootstrap_interval_brackets_the_estimate_and_skipped_classes_are_listed():
    rng = np.random.default_rng(1)
    labels = np.stack([rng.random(200) < 0.4, rng.random(200) < 0.2, np.zeros(200, bool)], 1)
    scores = labels + rng.normal(0, 0.8, labels.shape)
    result = bootstrap_macro_auroc(labels, scores, ["a", "b", "empty"], n_resamples=300, seed=0)
    low, high = result["ci95"]
    assert low < result["macro_auroc"] < high and high - low < 0.2
    assert result["skipped"] == ["empty"] and set(result["per_class_ci95"]) == {"a", "b"}
    again = bootstrap_macro_auroc(labels, scores, ["a", "b", "empty"], n_resamples=300, seed=0)
    assert again["ci95"] == result["ci95"]


def test_shipped_prompt_sets_cover_every_class_and_a_broken_file_is_refused(tmp_path):
    assert {"paper", "plain", "report", "clinician_ensemble"} <= set(available_prompt_sets())
    for name in available_prompt_sets():
        prompt_set = load_prompt_set(name)
        for task, codes in PROMPT_TASK_CLASSES.items():
            assert all(prompt_set.prompts(task, code) for code in codes)
    paper = load_prompt_set("paper")
    assert paper.prompts("form", "PVC") == [
        "The ECG of ventricular premature complex, a type of form."
    ]
    data = json.loads((PROMPT_SET_DIR / "plain.json").read_text())
    data["templates"]["rhythm"] = ["no slot"]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(LabelInputError, match="exactly one"):
        load_prompt_set(tmp_path / "bad.json")
    with pytest.raises(LabelInputError, match="available"):
        load_prompt_set("nonexistent")


@needs_ptbxl
def test_balanced_sets_contain_only_held_out_single_label_records(index):
    test_rows = split_rows(index, "test")
    train_ids = {r.ecg_id for r in split_rows(index, "train") + split_rows(index, "val")}
    train_patients = {r.patient_id for r in split_rows(index, "train")}
    by_id = {r.ecg_id: r for r in test_rows}
    for task, codes in PROTOCOL_A_CLASSES.items():
        chosen = balanced_set(test_rows, task, per_class=200, seed=0)
        ids = [i for code in codes for i in chosen.ids[code]]
        assert ids and not set(ids) & train_ids
        assert not {by_id[i].patient_id for i in ids} & train_patients
        for code in codes:
            assert all(by_id[i].labels[task] == (code,) for i in chosen.ids[code])
            assert len(chosen.ids[code]) == min(200, chosen.available[code])
        assert balanced_set(test_rows, task, per_class=200, seed=0).ids == chosen.ids
    with pytest.raises(DataError, match="fold 10 only"):
        balanced_set(split_rows(index, "train"), "superclass")


@needs_ptbxl
def test_nothing_can_be_chosen_on_fold_10(index, tiny_model):
    test_rows, val_rows = split_rows(index, "test"), split_rows(index, "val")
    require_selection_rows(val_rows, "val")
    for rows, split in ((test_rows, "test"), (test_rows, "val"), (val_rows, "test")):
        with pytest.raises(DataError, match="fold 9"):
            require_selection_rows(rows, split)
    fake_val = SplitData("val", test_rows[:4], np.zeros((4, 12, 1000), np.float32))
    with pytest.raises(DataError, match="fold 9"):
        select_prompt_set(tiny_model, None, fake_val, [load_prompt_set("plain")], ["superclass"])


def test_cli_refuses_to_select_on_the_test_split(tiny_weights, capsys):
    argv = ["--weights", str(tiny_weights), "--select-on", "test", "--device", "cpu"]
    assert evaluate.main(argv + ["--data", str(SHARED)]) == 2
    assert "fold 9" in capsys.readouterr().err


def test_protocols_give_perfect_scores_for_perfect_scores():
    rows = [
        _row(i, 10, superclass=(c,)) for i, c in enumerate(["NORM", "MI", "CD", "HYP", "STTC"] * 3)
    ]
    rows.append(_row(99, 10, superclass=("NORM", "MI")))  # multi-label: B only, never A
    scores = label_matrix(rows, "superclass").astype(float)
    result_b = protocol_b(rows, scores, "superclass", n_resamples=50)
    assert result_b["macro_auroc"] == 1.0 and result_b["skipped"] == []
    chosen = balanced_set(rows, "superclass", per_class=2, seed=0)
    assert 99 not in [i for v in chosen.ids.values() for i in v]
    result_a = protocol_a(rows, scores, "superclass", chosen)
    assert result_a["top1_accuracy"] == 1.0 and result_a["macro_f1"] == 1.0
    assert result_a["n_per_class"] == dict.fromkeys(PROTOCOL_A_CLASSES["superclass"], 2)


def _split(index, split: str, n: int, seed: int) -> SplitData:
    rows = split_rows(index, split)[:n]
    signals = np.random.default_rng(seed).normal(0, 0.3, (len(rows), 12, 1000)).astype(np.float32)
    return SplitData(split, rows, signals)


@needs_ptbxl
def test_linear_probe_learns_from_informative_features(index):
    data = {s: _split(index, s, n, 0) for s, n in (("train", 400), ("val", 120), ("test", 150))}
    rng = np.random.default_rng(0)
    features = {
        s: np.concatenate(
            [label_matrix(d.rows, "superclass"), rng.normal(0, 1, (len(d.rows), 8))], 1
        )
        + rng.normal(0, 0.3, (len(d.rows), 13))
        for s, d in data.items()
    }
    scores, info = linear_probe(features, data, "superclass", fraction=0.1, seed=0)
    assert scores.shape == (150, len(TASK_CLASSES["superclass"]))
    assert info["n_train"] < 60 and str(info["C"]) in info["fold9_macro_auroc"]
    assert protocol_b(data["test"].rows, scores, "superclass", 0)["macro_auroc"] > 0.8


@pytest.mark.slow
@needs_ptbxl
def test_whole_report_on_small_data(index, tiny_weights, tmp_path):
    args = evaluate.parse_args(
        [
            "--weights",
            str(tiny_weights),
            "--out",
            str(tmp_path / "out"),
            "--n-bootstrap",
            "20",
            "--per-class",
            "3",
            "--device",
            "cpu",
            "--supervised-epochs",
            "1",
            "--probe-fractions",
            "0.5",
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    model = evaluate.load_model(tiny_weights, "cpu")
    data = {
        s: _split(index, s, n, i)
        for i, (s, n) in enumerate((("train", 24), ("val", 40), ("test", 60)))
    }
    balanced = {t: balanced_set(data["test"].rows, t, 3, 0) for t in ("superclass", "rhythm")}
    sets = [load_prompt_set(n) for n in ("paper", "plain")]
    ctx = evaluate.Context(args, ("superclass", "rhythm"), data, balanced, None, None, sets)
    run, scores = evaluate.evaluate_weights(ctx, model)
    assert run["selection"]["split"] == "val" and run["selection"]["chosen"] in ("paper", "plain")
    base = evaluate.run_baselines(ctx, model, run["selection"]["chosen"])
    assert set(base["linear_probe"]) == {"mets", "random_init"}
    assert set(base["linear_probe"]["mets"]) == {"0.5"}
    assert base["supervised"]["training"]["best_epoch"] == 1
    report = evaluate.eval_report.build_report(["--weights", "tiny"], ctx, [run], base)
    written = evaluate.eval_report.write_outputs(Path(args.out), report, ctx, model, scores)
    assert {p.name for p in written} >= {"evaluation.json", "README.md", "predictions_rhythm.csv"}
    saved = json.loads((Path(args.out) / "evaluation.json").read_text())
    assert saved["runs"][0]["zero_shot"]["paper"]["protocol_b"]["superclass"]["ci95"]
    readme = (Path(args.out) / "README.md").read_text()
    for heading in (
        "Benchmark protocol (B)",
        "METS protocol (A)",
        "fold 9",
        "supervised ResNet1d-18",
    ):
        assert heading in readme
    table = read_predictions(Path(args.out) / "predictions_superclass.csv")
    assert {"top1", "top5_cosine", "p_NORM"} <= set(table.columns) and len(table) <= 60


@pytest.mark.slow
@needs_ptbxl
def test_supervised_baseline_is_cached_and_reloads_identically(index, tiny_config, tmp_path):
    train, val = _split(index, "train", 16, 0), _split(index, "val", 12, 1)
    cpu, tasks = torch.device("cpu"), ("superclass",)
    model, info = supervised_baseline(train, val, tasks, 2, 0, cpu, str(tmp_path), tiny_config.ecg)
    again, info2 = supervised_baseline(train, val, tasks, 2, 0, cpu, str(tmp_path), tiny_config.ecg)
    assert info["cached"] is None and info2["cached"] and len(info["history"]) == 2
    assert info["best_epoch"] in (1, 2)
    a, b = (supervised_scores(m, val, tasks, cpu)["superclass"] for m in (model, again))
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_fewer_leads_are_read_as_a_file_with_only_them_would_be(ecg_12_lead):
    from mets_core.errors import ECGInputError
    from mets_core.evaluate.lead_subsets import LEAD_SUBSETS, keep_leads, what_the_model_gets

    two = keep_leads(ecg_12_lead, LEAD_SUBSETS["2 leads (I, II)"])
    assert two.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF")
    assert two.derived_leads == ("III", "aVR", "aVL", "aVF")
    np.testing.assert_allclose(two.lead("III"), two.lead("II") - two.lead("I"), atol=1e-5)
    assert keep_leads(ecg_12_lead, LEAD_SUBSETS["1 lead (II)"]).lead_names == ("II",)
    limb = keep_leads(ecg_12_lead, LEAD_SUBSETS["6 limb leads"])
    np.testing.assert_array_equal(limb.lead("aVL"), ecg_12_lead.lead("aVL"))  # recorded, kept
    assert keep_leads(ecg_12_lead, LEAD_SUBSETS["12 leads"]).n_leads == 12
    assert "zero I, III" in what_the_model_gets(LEAD_SUBSETS["1 lead (II)"])
    assert "derived III" in what_the_model_gets(LEAD_SUBSETS["2 leads (I, II)"])
    single = keep_leads(ecg_12_lead, ("II",))
    with pytest.raises(ECGInputError, match="Expected some of the leads"):
        keep_leads(single, ("V1", "V2"))


@pytest.mark.slow
@needs_ptbxl
def test_lead_subset_rows_are_reported_for_every_subset(index, tiny_model):
    from mets_core.evaluate.lead_subsets import LEAD_SUBSETS, lead_subset_results
    from mets_core.evaluate.markdown import served_section

    rows = [r for r in split_rows(index, "test") if r.labels.get("rhythm")][:8]
    result = lead_subset_results(tiny_model, index.root, rows)
    assert list(result) == list(LEAD_SUBSETS)
    for subset, block in result.items():
        assert block["leads"] == list(LEAD_SUBSETS[subset]) and block["model_input"]
        for task in ("rhythm", "superclass"):
            auroc = block[task]["macro_auroc"]  # None when no class has both outcomes
            assert auroc is None or 0.0 <= auroc <= 1.0
            assert block[task]["n_records"] == sum(bool(r.labels.get(task)) for r in rows)
    # one lead gives the model a different input than twelve, so the cosines differ
    assert result["1 lead (II)"]["rhythm"] != result["12 leads"]["rhythm"] or all(
        v["rhythm"]["macro_auroc"] is None for v in result.values()
    )
    run = {"weights": {"name": "tiny"}, "served": {"lead_subsets_fold10": result}}
    markdown = "\n".join(served_section({"runs": [run]}))
    assert "fewer leads" in markdown and "1 lead (II)" in markdown and "derived III" in markdown


def test_served_only_needs_a_full_report_of_the_same_weights(tiny_weights, tmp_path, capsys):
    from mets_core.evaluate.report import run_for_weights

    args = ["--weights", str(tiny_weights), "--served-only", "--out", str(tmp_path)]
    assert evaluate.main(args) == 2
    assert "run the full `mets evaluate` first" in capsys.readouterr().err
    report = {"runs": [{"weights": {"sha256": "ab" * 32, "name": "other"}}]}
    with pytest.raises(DataError, match="No run of evaluation.json has weights sha256 cdcd"):
        run_for_weights(report, "cd" * 32)
    assert run_for_weights(report, "ab" * 32)["weights"]["name"] == "other"


@pytest.mark.slow
@needs_ptbxl
def test_mets_evaluate_adds_other_sites_and_lead_subsets_per_run(index, tiny_weights, tmp_path):
    from tests.test_external_sites import _write_cinc

    external = tmp_path / "cinc"
    external.mkdir()
    _write_cinc(external, "E00001", "E00001.mat", dx="164889003,59118001")
    _write_cinc(external, "A0002", "A0002", dx="426783006")
    args = evaluate.parse_args(["--weights", str(tiny_weights), "--n-bootstrap", "0"])
    model = evaluate.load_model(tiny_weights, "cpu")
    data = {s: _split(index, s, n, i) for i, (s, n) in enumerate((("val", 20), ("test", 8)))}
    sets = [load_prompt_set("plain")]
    ctx = evaluate.Context(args, ("rhythm",), data, {}, None, None, sets, index.root, external)
    run, _ = evaluate.evaluate_weights(ctx, model)
    served = run["served"]
    assert served["cinc_external"]["n_records"] == 2 and not served["cinc_external"]["unreadable"]
    assert list(served["lead_subsets_fold10"])[-1] == "1 lead (II)"
    from mets_core.evaluate.markdown import served_section

    markdown = "\n".join(served_section({"runs": [{"weights": {"name": "tiny"}} | run]}))
    assert "cinc-external" in markdown and "fewer leads" in markdown
    assert "Served path" in markdown and "1AVB" in markdown
