"""AppTest of the Zero-shot page's "Similar ECGs in the searchable archive" panel (issue 14).

With the shipped weights a ranked fold-10 example finds itself first in the bundled fold-10 index,
searched once per record and never added to it; a card opens its record; the "search for more"
button hands the loaded ECG to the Search page. With other weights the panel says so in words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHARED_DATA, element_texts
from streamlit.testing.v1 import AppTest

from mets_core.app import hit_cards, keys, session
from mets_core.index.search import BUNDLED_INDEX, ECGIndex
from mets_core.io.examples import load_example

REPO = Path(__file__).resolve().parents[1]
ZERO_SHOT, SEARCH = str(REPO / "pages" / "2_Zero_Shot.py"), str(REPO / "pages" / "7_Search.py")
SHIPPED = REPO / "weights" / "mets_resnet18"
EXAMPLE, EXAMPLE_ECG_ID = "ptbxl_anterior_mi", 526  # bundled byte-identical copy of a fold-10 file
PANEL = "Similar ECGs in the searchable archive"
needs_ptbxl = pytest.mark.skipif(
    not (SHARED_DATA / "ptb-xl" / "ptbxl_database.csv").exists(), reason="no PTB-XL folder"
)


def _ranked(monkeypatch: pytest.MonkeyPatch, weights: Path) -> AppTest:
    """The Zero-shot page with the example loaded and three candidates ranked."""
    monkeypatch.setenv("METS_WEIGHTS", str(weights))
    at = AppTest.from_file(ZERO_SHOT, default_timeout=120)
    at.session_state[session.KEY_RECORD] = load_example(EXAMPLE)
    at.session_state[session.KEY_RECORD_LABEL] = "Example: anterior MI"
    at.run()
    at.text_area(key=keys.W_CANDIDATES).input("normal ECG\nanterior myocardial infarction\nLBBB")
    at.button(key=keys.W_RANK).click().run()
    assert not at.exception, at.exception
    assert not at.error, element_texts(at.error)
    return at


def _cards(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if " · cosine " in m.value]


def _index_files() -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in BUNDLED_INDEX.iterdir()}


@needs_ptbxl
def test_a_fold10_ecg_finds_itself_first_once_per_record_and_is_not_indexed(
    monkeypatch: pytest.MonkeyPatch, tiny_app_env: None
) -> None:
    searches: list[int] = []
    real_search = ECGIndex.search_record

    def counted(self, *args, **kwargs):  # noqa: ANN001, ANN202 (the real search, counted)
        searches.append(1)
        return real_search(self, *args, **kwargs)

    monkeypatch.setattr(ECGIndex, "search_record", counted)
    at = _ranked(monkeypatch, SHIPPED)
    before = _index_files()
    assert PANEL in [h.value for h in at.subheader]
    assert "Most similar training reference ECGs" in [h.value for h in at.subheader]
    cards = _cards(at)
    assert len(cards) == hit_cards.ARCHIVE_HITS
    assert f"PTB-XL ecg_id {EXAMPLE_ECG_ID} " in cards[0] and cards[0].startswith("**#1**")
    assert float(cards[0].split("cosine ")[1].split()[0]) > 0.99
    cosines = [float(card.split("cosine ")[1].split()[0]) for card in cards]
    assert cosines == sorted(cosines, reverse=True)
    thumbs = [url for image in at.get("image") for url in image.value]
    assert len(thumbs) == hit_cards.ARCHIVE_HITS  # one SVG thumbnail per card
    assert all(url.startswith("data:image/svg+xml") for url in thumbs)

    at.run()  # a rerun (any click) reuses the search of this record
    at.button(key=keys.W_EXPLAIN).click().run()
    assert not at.exception and _cards(at) == cards
    assert len(searches) == 1
    assert _index_files() == before  # compared with the index, never written into it

    at.button(key=f"{keys.W_ARCHIVE_OPEN}_2").click().run()  # open the second hit
    assert not at.exception and not at.error
    second_id = cards[1].split("ecg_id ")[1].split()[0]
    assert f"ecg_id {second_id}" in at.session_state[session.KEY_RECORD_LABEL]


@needs_ptbxl
def test_search_for_more_opens_the_search_page_on_the_loaded_ecg(
    monkeypatch: pytest.MonkeyPatch, tiny_app_env: None
) -> None:
    at = _ranked(monkeypatch, SHIPPED)
    at.button(key=keys.W_ARCHIVE_MORE).click().run()
    assert not at.exception
    search = AppTest.from_file(SEARCH, default_timeout=120)
    for key in (session.KEY_RECORD, session.KEY_RECORD_LABEL, session.KEY_WIDGET_MEMORY):
        search.session_state[key] = at.session_state[key]
    search.run()
    assert not search.exception and not search.error
    assert search.radio(key=keys.W_SEARCH_MODE).value == hit_cards.SEARCH_BY_RECORD
    assert int(search.dataframe[0].value["PTB-XL ecg_id"].iloc[0]) == EXAMPLE_ECG_ID


def test_an_unreadable_ptbxl_folder_is_named_by_its_label_not_its_path(
    monkeypatch: pytest.MonkeyPatch, tiny_app_env: None, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-ptbxl"
    monkeypatch.setenv("METS_PTBXL_ROOTS", f"Archive copy={missing}")
    at = _ranked(monkeypatch, SHIPPED)
    assert len(_cards(at)) == hit_cards.ARCHIVE_HITS  # the index still answers, in words
    shown = element_texts(at.caption) + element_texts(at.markdown)
    assert "Cannot draw this record from the PTB-XL folder “Archive copy”" in shown
    assert str(tmp_path) not in shown


def test_other_weights_get_a_plain_caption_instead_of_the_panel(
    monkeypatch: pytest.MonkeyPatch, tiny_app_env: None, tiny_weights: Path
) -> None:
    at = _ranked(monkeypatch, tiny_weights)
    assert PANEL in [h.value for h in at.subheader]
    assert "indexed with other weights" in element_texts(at.caption)
    assert not _cards(at) and keys.W_ARCHIVE_MORE not in [b.key for b in at.button]
