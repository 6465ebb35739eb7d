"""Calibrated probabilities for candidate lists of any length (issue 12, part 4)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import mets_core
from mets_core.evaluate import calibration as cal
from mets_core.evaluate import serving
from mets_core.model.checkpoint import write_selection
from mets_core.zeroshot.calibration import (
    TEMPERATURE_LIMITS,
    ListSizeTemperature,
    list_size_rule,
    serving_temperature,
)

CANDIDATES = ["normal ECG", "atrial fibrillation", "sinus bradycardia", "left bundle branch block"]


def _draw(cosines: np.ndarray, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """Reference classes drawn from softmax(cosines / temperature): (N, K) -> (N,)."""
    probabilities = cal.softmax(cosines, temperature)
    truth = (probabilities.cumsum(axis=1) < rng.random((len(cosines), 1))).sum(axis=1)
    return np.minimum(truth, cosines.shape[1] - 1)


def _lists_with_size_dependent_truth(rule: ListSizeTemperature, sizes, n: int, seed: int):
    """Synthetic lists whose reference classes were drawn from softmax(cos / rule(K))."""
    rng = np.random.default_rng(seed)
    problems = []
    for k in sizes:
        cosines = rng.normal(0.0, 0.08, size=(n, k))
        problems.append((cosines, _draw(cosines, rule.temperature(k), rng)))
    return problems


def _task_lists(temperatures: dict[str, tuple[int, float]], n: int, seed: int):
    """{task: (cosines (n, C), truth, ecg_id)} with truth drawn at each task's temperature."""
    rng = np.random.default_rng(seed)
    out = {}
    for task, (c, temperature) in temperatures.items():
        cosines = rng.normal(0.0, 0.08, size=(n, c))
        out[task] = (cosines, _draw(cosines, temperature, rng), np.arange(n))
    return out


def test_list_size_temperature_is_smooth_clipped_and_round_trips() -> None:
    rule = ListSizeTemperature(0.2, -0.03)
    temperatures = [rule.temperature(k) for k in range(1, 200)]
    assert all(np.diff(temperatures) <= 0)  # a negative slope: sharper for longer lists
    assert all(TEMPERATURE_LIMITS[0] <= t <= TEMPERATURE_LIMITS[1] for t in temperatures)
    assert ListSizeTemperature(-5.0, 0.0).temperature(3) == TEMPERATURE_LIMITS[0]
    assert ListSizeTemperature.from_dict(rule.to_dict() | {"criterion": "x"}) == rule


def test_fitted_list_size_rule_beats_one_temperature_on_held_out_lists() -> None:
    """Scores whose right temperature falls with K: the fitted rule finds the slope and is
    better calibrated than one pooled temperature on new lists, short and long."""
    truth_rule = ListSizeTemperature(0.09, -0.02)  # T(2) ~ 0.076, T(30) ~ 0.022
    sizes = (2, 3, 5, 8, 12, 20, 30)
    fit_on = _lists_with_size_dependent_truth(truth_rule, sizes, 600, seed=1)
    held_out = _lists_with_size_dependent_truth(truth_rule, sizes, 600, seed=2)
    rule = cal.fit_list_size_temperature(fit_on)
    pooled = cal.fit_temperature(fit_on)
    assert rule.slope_per_log_k < 0
    for k in (2, 30):
        assert abs(rule.temperature(k) - truth_rule.temperature(k)) < 0.3 * truth_rule.temperature(
            k
        )

    def held_out_nll(temperature_for) -> float:
        return np.mean(
            [cal.negative_log_likelihood(cal.softmax(c, temperature_for(c.shape[1])), t)
             for c, t in held_out]
        )  # fmt: skip

    assert held_out_nll(rule.temperature) < held_out_nll(lambda k: pooled)
    worst_pooled = max(
        cal.top1_calibration(cal.softmax(c, pooled), t)["expected_calibration_error"]
        for c, t in held_out
    )
    worst_rule = max(
        cal.top1_calibration(cal.softmax(c, rule.temperature(c.shape[1])), t)[
            "expected_calibration_error"
        ]
        for c, t in held_out
    )
    assert worst_rule < worst_pooled


def test_sub_lists_keep_the_reference_class_and_its_cosine() -> None:
    rng = np.random.default_rng(0)
    cosines = rng.normal(size=(50, 7))
    truth = rng.integers(0, 7, 50)
    lists = cal.sub_lists(cosines, truth, np.random.default_rng(1))
    assert sorted(lists) == [2, 3, 4, 5, 6]
    for k, (sub, sub_truth) in lists.items():
        assert sub.shape == (50, k)
        np.testing.assert_array_equal(sub[np.arange(50), sub_truth], cosines[np.arange(50), truth])
        for row, full_row in zip(sub, cosines, strict=True):
            assert set(row) <= set(full_row)


def test_ece_interval_contains_noise_of_a_calibrated_model() -> None:
    rng = np.random.default_rng(0)
    cosines = rng.normal(0.0, 0.1, size=(300, 5))
    probabilities = cal.softmax(cosines, 0.05)
    truth = (probabilities.cumsum(axis=1) < rng.random((300, 1))).sum(axis=1)
    noise = cal.ece_interval(probabilities, np.minimum(truth, 4), 200, seed=0)
    low, high = noise["ci95"]
    assert 0.0 <= low < high <= 1.0
    floor = noise["perfect_calibration_ece"]
    assert 0.0 < floor["median"] <= floor["p95"] < 0.15  # 300 records: a few points of noise
    overconfident = cal.softmax(cosines, 0.005)
    wrong = cal.ece_interval(overconfident, np.minimum(truth, 4), 200, seed=0)
    assert wrong["ci95"][0] > floor["p95"]


@pytest.mark.parametrize("n_candidates", [1, 2, 3, 4])
def test_rank_probabilities_sum_to_one_for_any_list_length(
    tiny_model, ecg_12_lead, n_candidates
) -> None:
    selection = {
        "zero_shot_template": "{}",
        "probability_temperature": 0.1,
        "probability_calibration": ListSizeTemperature(0.12, -0.02).to_dict(),
    }
    served = serving.with_selection(tiny_model, selection)
    ranking = mets_core.rank(served, ecg_12_lead, CANDIDATES[:n_candidates])
    assert sum(r.probability for r in ranking) == pytest.approx(1.0, abs=1e-5)
    assert ranking.calibrated
    assert ranking.temperature == pytest.approx(
        ListSizeTemperature(0.12, -0.02).temperature(n_candidates)
    )


def test_old_sidecars_serve_their_single_temperature(tiny_model, ecg_12_lead) -> None:
    """A sidecar from before the list-size rule (only probability_temperature) still serves it;
    one with no fitted temperature serves the training temperature, uncalibrated."""
    old = serving.with_selection(
        tiny_model, {"zero_shot_template": "{}", "probability_temperature": 0.3}
    )
    assert list_size_rule(old) is None
    for k in (2, 4):
        assert serving_temperature(old, k) == 0.3
        assert mets_core.rank(old, ecg_12_lead, CANDIDATES[:k]).temperature == 0.3
    assert list_size_rule(tiny_model) is None
    assert serving_temperature(tiny_model, 3) == tiny_model.temperature
    assert not mets_core.rank(tiny_model, ecg_12_lead, CANDIDATES[:3]).calibrated


def test_cross_validation_keeps_one_temperature_when_one_made_the_labels() -> None:
    lists = _task_lists({"superclass": (5, 0.05), "rhythm": (12, 0.05)}, 300, seed=3)
    chosen = cal.choose_calibration(cal.build_problems(lists, seed=0), repeats=5)
    assert chosen["fitted_by"] == cal.CURRENT_RULE and chosen["slope_per_log_k"] == 0.0
    assert 0.04 < chosen["intercept"] < 0.06
    assert set(chosen["fold9_cv"]) == set(cal.TEMPERATURE_RULES)
    assert ListSizeTemperature.from_dict(chosen).temperature(7) == chosen["intercept"]


def test_cross_validation_finds_the_rule_that_fixes_overconfident_long_lists() -> None:
    """Labels drawn at a lower temperature for the longer list (and for its shorter lists): one
    temperature is wrong for both; the fold-9 CV picks a rule that depends on K."""
    rng = np.random.default_rng(5)
    problems = []
    for task, c, rule in (("superclass", 4, 0.09), ("rhythm", 24, 0.025)):
        cosines = rng.normal(0.0, 0.08, size=(300, c))
        problems.append(cal.Problem(task, True, cosines, _draw(cosines, rule, rng), np.arange(300)))
        for k in (2, 3) if c == 4 else (6, 12, 18):
            sub = rng.normal(0.0, 0.08, size=(300, k))
            problems.append(cal.Problem(task, False, sub, _draw(sub, rule, rng), np.arange(300)))
    chosen = cal.choose_calibration(problems, repeats=5)
    assert chosen["fitted_by"] != cal.CURRENT_RULE, chosen["decision"]
    rule = ListSizeTemperature.from_dict(chosen)
    assert rule.temperature(24) < rule.temperature(4)
    cv = chosen["fold9_cv"]
    assert (
        cv[chosen["fitted_by"]]["target_mean_ece"]["mean"]
        < cv[cal.CURRENT_RULE]["target_mean_ece"]["mean"]
    )


def test_target_verdict_separates_met_noise_and_miss() -> None:
    assert cal.target_verdict(0.04, 0.09).startswith("met")
    assert cal.target_verdict(0.07, 0.09).startswith("within sampling noise")
    assert cal.target_verdict(0.12, 0.09).startswith("not met")


def test_sidecar_with_a_list_size_rule_round_trips_and_serves_it(
    tiny_weights, tmp_path, ecg_12_lead
) -> None:
    """`mets select --write` stores the rule; a reload serves T(K) per list length, and the
    single temperature stays in the sidecar for code that predates the rule."""
    stem = tmp_path / "tiny"
    for suffix in (".safetensors", ".json"):
        shutil.copy(tiny_weights.with_suffix(suffix), stem.with_suffix(suffix))
    rule = ListSizeTemperature(0.15, -0.02)
    selection = {"zero_shot_template": "{}", "probability_temperature": 0.11,
                 "probability_calibration": rule.to_dict() | {"fitted_by": "test"}}  # fmt: skip
    write_selection(stem, "{}", selection)
    model = mets_core.load_model(stem, device="cpu")
    assert list_size_rule(model) == rule and model.probability_temperature == 0.11
    for k in (2, 4):
        ranking = mets_core.rank(model, ecg_12_lead, CANDIDATES[:k])
        assert ranking.temperature == pytest.approx(rule.temperature(k))
        assert ranking.calibrated
