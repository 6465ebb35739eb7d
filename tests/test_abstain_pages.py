"""AppTest of the Zero-shot page's trust controls: the abstain banner (first, in words) for a flat
line and none for a real ECG, the inline controls line, percentiles and similar reference ECGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import element_texts
from streamlit.testing.v1 import AppTest

from mets_core.app import exports, keys, session
from mets_core.evaluate import non_ecg
from mets_core.io.examples import load_example
from mets_core.model.checkpoint import DEFAULT_WEIGHTS
from mets_core.record import ECGRecord

REPO = Path(__file__).resolve().parents[1]
PAGE = str(REPO / "pages" / "2_Zero_Shot.py")
BANNER = "Not read as an ECG"


pytestmark = pytest.mark.usefixtures("tiny_app_env")


def _ranked(record: ECGRecord) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[session.KEY_RECORD] = record
    at.run()
    at.text_area(key=keys.W_CANDIDATES).input("normal ECG\natrial fibrillation\nsinus rhythm")
    at.button(key=keys.W_RANK).click().run()
    assert not at.exception, at.exception
    return at


def _flat_line() -> ECGRecord:
    rng = np.random.default_rng(0)
    return non_ecg.record_control("flat line", load_example("ptbxl_normal"), rng)


def test_flat_line_gets_the_banner_and_a_greyed_ranking() -> None:
    at = _ranked(_flat_line())
    assert BANNER in element_texts(at.error)
    assert "inspection only" in element_texts(at.error)
    assert [e.label for e in at.expander][0] == "Ranking (shown for inspection only)"
    assert "Controls:" in element_texts(at.markdown)
    assert at.session_state[session.KEY_RANKING].abstain


def test_real_ecg_gets_no_banner_and_an_open_ranking() -> None:
    at = _ranked(load_example("ptbxl_normal"))
    assert BANNER not in element_texts(at.error) + element_texts(at.warning)
    assert "Ranking (shown for inspection only)" not in [e.label for e in at.expander]
    assert "Controls:" in element_texts(at.markdown)
    assert "no reference bank" in element_texts(at.caption)  # the tiny weights ship none
    table = at.dataframe[0].value
    assert exports.PERCENTILE_COLUMN not in table.columns


def test_shipped_weights_show_percentiles_and_similar_reference_ecgs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("METS_WEIGHTS", str(DEFAULT_WEIGHTS))
    at = _ranked(load_example("ptbxl_lbbb"))
    assert BANNER not in element_texts(at.error)
    ranking_table, neighbours = at.dataframe[0].value, at.dataframe[1].value
    assert ranking_table[exports.PERCENTILE_COLUMN].between(0, 100).all()
    assert len(neighbours) == 5 and {"ecg_id", "superclass"} <= set(neighbours.columns)
