"""Known words: a candidate's closest training phrase, and the warning for words never seen."""

from __future__ import annotations

import pytest

from mets_core.evaluate.serving import with_selection
from mets_core.zeroshot.vocabulary import (
    nearest_training_phrases,
    report_phrases,
    unknown_words_warning,
)

PHRASES = ["sinus rhythm", "normal ECG", "atrial fibrillation"]


def test_report_phrases_split_statements_and_keep_the_first_wording() -> None:
    reports = ["sinus rhythm. normal ECG.", "Sinus rhythm; left axis deviation.", "ok."]
    assert report_phrases(reports) == ["sinus rhythm", "normal ECG", "left axis deviation"]


def _served(tiny_model, threshold: float | None):
    vocabulary = {"phrases": PHRASES, "threshold": threshold}
    return with_selection(tiny_model, {"zero_shot_template": "{}", "vocabulary": vocabulary})


def test_a_training_phrase_is_its_own_closest_match(tiny_model) -> None:
    matches = nearest_training_phrases(_served(tiny_model, 0.5), PHRASES)
    assert all(m.phrase in PHRASES for m in matches)  # the tiny random LM may tie phrases
    assert all(m.similarity == pytest.approx(1.0, abs=1e-5) and m.known for m in matches)
    assert unknown_words_warning(PHRASES, matches) is None


def test_candidates_below_the_threshold_are_named_in_plain_words(tiny_model) -> None:
    candidates = ["banana", "sinus rhythm"]
    matches = nearest_training_phrases(_served(tiny_model, 0.999), candidates)
    assert matches[1].known and matches[0].known is False
    warning = unknown_words_warning(candidates, matches)
    assert "“banana”" in warning and "sinus rhythm”" not in warning.split("closest")[0]


def test_without_phrases_or_threshold_nothing_is_claimed(tiny_model, tiny_weights) -> None:
    assert nearest_training_phrases(tiny_model, ["banana"]) is None
    assert unknown_words_warning(["banana"], None) is None
    matches = nearest_training_phrases(_served(tiny_model, None), ["banana"])
    assert matches[0].known is None and unknown_words_warning(["banana"], matches) is None


def test_rank_carries_the_closest_phrase_and_names_unknown_words(tiny_model, ecg_12_lead) -> None:
    import mets_core

    ranking = mets_core.rank(_served(tiny_model, 0.999), ecg_12_lead, ["banana", "sinus rhythm"])
    by_name = {r.candidate: r for r in ranking}
    assert by_name["sinus rhythm"].nearest_training_phrase in PHRASES
    assert by_name["sinus rhythm"].phrase_similarity == pytest.approx(1.0, abs=1e-5)
    assert any("“banana”" in caution for caution in ranking.cautions)
    assert ranking.to_dict()["ranking"][0]["nearest_training_phrase"] in PHRASES


def test_one_candidate_and_near_ties_are_said_in_words(tiny_model, ecg_12_lead) -> None:
    import mets_core

    single = mets_core.rank(tiny_model, ecg_12_lead, ["normal ECG"])
    assert any("Only one candidate" in caution for caution in single.cautions)
    # identical texts but for case tie exactly (the tiny LM is uncased-agnostic: use a space)
    tied = mets_core.rank(tiny_model, ecg_12_lead, ["normal ECG", "normal ECG ."])
    gap = tied[0].cosine - tied[1].cosine
    assert (gap < 0.02) == any("nearly tied" in c for c in tied.cautions)
