"""Sanity check: controls made from the record, ranked with the same candidates; the app page."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import mets_core
from mets_core.app import keys, session
from mets_core.io.examples import load_example
from mets_core.zeroshot import sanity

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = ["normal ECG", "atrial fibrillation", "left bundle branch block", "sinus rhythm"]


def test_controls_keep_shape_and_remove_the_ecg(ecg_12_lead) -> None:
    rng = np.random.default_rng(0)
    signal = ecg_12_lead.signal
    made = {name: make(signal, rng) for name, _, make in sanity.CONTROLS}
    assert all(control.shape == signal.shape for control in made.values())
    assert np.abs(made["flat line"]).max() < 0.1  # no heart activity left
    shuffled = made["leads shuffled"]
    assert not np.array_equal(shuffled, signal)
    assert sorted(map(bytes, shuffled)) == sorted(map(bytes, signal))  # same rows, other order
    assert np.allclose(made["noise only"].std(axis=1), signal.std(axis=1), rtol=0.1)


def test_sanity_check_ranks_every_control_with_the_same_candidates(tiny_weights, ecg_12_lead):
    model = mets_core.load_model(tiny_weights, device="cpu")
    reference = mets_core.rank(model, ecg_12_lead, CANDIDATES)
    results = sanity.sanity_check(model, ecg_12_lead, reference)
    assert [r.name for r in results] == [name for name, _, _ in sanity.CONTROLS]
    for result in results:
        assert result.top_candidate in CANDIDATES
        assert result.same_top == (result.top_candidate == reference[0].candidate)
        assert np.isnan(result.spearman) or -1.0 <= result.spearman <= 1.0
    assert len(sanity.as_rows(results)) == 3


@pytest.mark.parametrize(
    ("same_top", "warned"),
    [({"flat line": True}, True), ({"noise only": True}, True), ({"leads shuffled": True}, False)],
)
def test_verdict_warns_only_when_a_control_without_an_ecg_keeps_the_answer(same_top, warned):
    results = [
        sanity.ControlResult(name, "", "x", same_top.get(name, False), 0.5)
        for name, _, _ in sanity.CONTROLS
    ]
    assert (sanity.verdict(results) is not None) == warned


def test_sanity_page_runs_the_controls_for_the_session_ranking(tiny_weights, monkeypatch):
    monkeypatch.setenv("METS_WEIGHTS", str(tiny_weights))
    monkeypatch.setenv("METS_DEVICE", "cpu")
    record = load_example("ptbxl_lbbb")
    model = mets_core.load_model(tiny_weights, device="cpu")
    at = AppTest.from_file(str(REPO / "pages" / "6_Sanity_Check.py"), default_timeout=60)
    at.session_state[session.KEY_RECORD] = record
    at.run()
    assert not at.exception and "Rank some candidate" in " ".join(i.value for i in at.info)
    at.session_state[session.KEY_RANKING] = mets_core.rank(model, record, CANDIDATES)
    at.run()
    at.button(key=keys.W_SANITY).click().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["control"]) == ["flat line", "leads shuffled", "noise only"]
    assert at.warning or at.success  # a verdict either way


def test_controls_embedded_once_score_as_ranking_each_control(tiny_weights, ecg_12_lead):
    """Scoring a candidate list against embedded controls = ranking each control ECG afresh."""
    model = mets_core.load_model(tiny_weights, device="cpu")
    controls = sanity.embed_controls(model, ecg_12_lead, seed=3)
    for center in (False, True):
        reference = mets_core.rank(model, ecg_12_lead, CANDIDATES, center=center)
        fast = sanity.sanity_check(
            model, ecg_12_lead, reference, center=center, seed=3, controls=controls
        )
        rng = np.random.default_rng(3)
        names = [item.candidate for item in reference]
        real = sanity._cosines(reference, names)
        for result, (name, _, make) in zip(fast, sanity.CONTROLS, strict=True):
            control = replace(ecg_12_lead, signal=make(ecg_12_lead.signal, rng), notes=())
            ranked = mets_core.rank(model, control, names, center=center)
            assert (result.name, result.top_candidate) == (name, ranked[0].candidate)
            expected = sanity._spearman(real, sanity._cosines(ranked, names))
            np.testing.assert_allclose(result.spearman, expected, atol=1e-9, equal_nan=True)
    # controls made with another seed are not reused for this one
    other = sanity.sanity_check(model, ecg_12_lead, reference, seed=0, controls=controls)
    assert other == sanity.sanity_check(model, ecg_12_lead, reference, seed=0)


def test_zero_shot_page_embeds_the_controls_once_per_record(tiny_weights, monkeypatch):
    monkeypatch.setenv("METS_WEIGHTS", str(tiny_weights))
    monkeypatch.setenv("METS_DEVICE", "cpu")
    calls = []
    embed = sanity.embed_controls
    monkeypatch.setattr(sanity, "embed_controls", lambda *a, **k: calls.append(1) or embed(*a, **k))
    at = AppTest.from_file(str(REPO / "pages" / "2_Zero_Shot.py"), default_timeout=60)
    at.session_state[session.KEY_RECORD] = load_example("ptbxl_lbbb")
    at.run()
    for candidates in (CANDIDATES, CANDIDATES[:3], ["sinus tachycardia", *CANDIDATES]):
        at.text_area(key=keys.W_CANDIDATES).input("\n".join(candidates))
        at.button(key=keys.W_RANK).click().run()
        assert not at.exception
        assert "Controls:" in " ".join(m.value for m in at.markdown)  # the controls line
    assert len(calls) == 1
