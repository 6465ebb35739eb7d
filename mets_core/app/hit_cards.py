"""Cards of index search hits: a lead-II paper thumbnail, labels, report, cosine and one button
that opens the hit in the signal view.

The Search page and the Zero-shot page's archive panel draw their hits with `show_hit_cards`, so
a hit looks and opens the same on both. Thumbnails and opening read the configured PTB-XL folder
(`settings.dataset_roots`); without one, pages show `NO_PTBXL_FOLDER` instead of cards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import streamlit as st

from mets_core.app import keys, session, settings, thumbnails, ui
from mets_core.errors import METSError, WeightsError
from mets_core.evaluate import explore
from mets_core.index.search import BUNDLED_INDEX, Hit, hits_table, open_index

if TYPE_CHECKING:
    from mets_core.model.load import LoadedModel
    from mets_core.record import ECGRecord

THUMBNAIL_CAPTION = "Lead II, first 10 s, 25 mm/s, 10 mm/mV, unfiltered (baseline centred)."
NO_PTBXL_FOLDER = (
    "No PTB-XL folder is configured on this server, so hits cannot be drawn or opened here "
    "(see docs/SERVING.md, METS_PTBXL_ROOTS)."
)
OPEN_LABEL = "Open in the signal view"
SEARCH_BY_TEXT, SEARCH_BY_RECORD = "A finding (text)", "The loaded ECG"  # the Search page's modes
ARCHIVE_HITS = 5  # archive neighbours shown on the Zero-shot page


def ptbxl_root() -> settings.DatasetRoot | None:
    """The PTB-XL folder hits are drawn from and opened in (the first configured), or None."""
    roots = settings.dataset_roots(settings.PTBXL)
    return roots[0] if roots else None


def show_hit_cards(
    hits: Sequence[Hit], root: settings.DatasetRoot, key_prefix: str, limit: int
) -> None:
    """One card per PTB-XL hit (at most `limit`), best first, under the thumbnail caption.

    Args:
        hits: search results, best first; hits without a PTB-XL ecg_id are skipped.
        root: the PTB-XL folder holding the hits' files.
        key_prefix: widget-key prefix unique to the page section, e.g. `keys.W_SEARCH_OPEN`;
            each card's button is "<prefix>_<rank>".
        limit: how many cards to draw.
    """
    st.caption(THUMBNAIL_CAPTION)
    for hit in [h for h in hits if h.ptbxl_ecg_id is not None][:limit]:
        _show_card(hit, root, key_prefix)


def _show_card(hit: Hit, root: settings.DatasetRoot, key_prefix: str) -> None:
    col_trace, col_text = st.columns([3, 2], vertical_alignment="center")
    with col_trace:
        try:
            svg = thumbnails.dataset_thumbnail(str(root.path), hit.ptbxl_ecg_id)
        except METSError:  # named by the folder's label: server paths never reach the page
            st.caption(f"Cannot draw this record from the PTB-XL folder “{root.label}”.")
        else:  # one static SVG: no chart to boot in the browser (results/browser_cost.json)
            st.image(svg, alt=thumbnails.svg_title(svg), width="stretch")
    with col_text:
        st.markdown(
            f"**#{hit.rank}** · cosine {hit.cosine:.3f} · PTB-XL ecg_id {hit.ptbxl_ecg_id} "
            f"(fold {hit.ptbxl_strat_fold})  \n{'; '.join(hit.labels) or 'no labels'}"
        )
        if hit.report:
            st.caption(f"Report: {ui.as_plain_text(hit.report)}")
        if st.button(OPEN_LABEL, key=f"{key_prefix}_{hit.rank}"):
            open_hit(hit, root)


def open_hit(hit: Hit, root: settings.DatasetRoot) -> None:
    """Make the hit's PTB-XL record the session's record and switch to the signal view."""
    with ui.dataset_errors_shown(root, "PTB-XL"):
        opened = explore.open_ptbxl_record(root.path, "superclass", hit.ptbxl_ecg_id)
    session.set_record(opened.record, opened.label, reference=opened.reference)
    ui.go_to("pages/3_Signal_View.py", "Signal view")


def show_archive_neighbours(model: LoadedModel, record: ECGRecord) -> None:
    """The Zero-shot page's panel: the bundled archive's ECGs nearest to the record in use.

    Searched once per record in use (`ui.for_record`); the record is compared with the index,
    never added to it. An index made by other weights gets a plain caption instead.

    Args:
        model: the model in use (the index must have been made with its weights).
        record: the ECG in use, signal (L, T) in mV.
    """
    try:
        size, hits = ui.for_record(
            record,
            f"archive neighbours/{BUNDLED_INDEX.name}/{model.weights.sha256}/{ARCHIVE_HITS}",
            lambda: _search_archive(model, record),
        )
    except WeightsError:
        st.caption(
            "The searchable archive was indexed with other weights than the model in use "
            f"({model.weights.name}), so its ECGs cannot be compared with this one here."
        )
        return
    except METSError as error:
        st.caption(f"The searchable archive cannot be searched: {error}")
        return
    st.caption(
        f"The {len(hits)} ECGs of the searchable archive ({size} PTB-XL fold-10 test records, "
        "never used in training) whose embedding is closest to this one, with their labels and "
        "original reports. This ECG is compared with the archive, not added to it; a cosine "
        "near 1.000 means the archive holds this same recording. Closeness is not a diagnosis."
    )
    root = ptbxl_root()
    if root is None:
        st.dataframe(hits_table(hits), hide_index=True, key="archive_hits")
        st.info(NO_PTBXL_FOLDER)
    else:
        show_hit_cards(hits, root, keys.W_ARCHIVE_OPEN, ARCHIVE_HITS)
    if st.button("Search the archive for more ECGs like this one", key=keys.W_ARCHIVE_MORE):
        session.remember_widget(keys.W_SEARCH_MODE, SEARCH_BY_RECORD)
        ui.go_to("pages/7_Search.py", "Search")


def _search_archive(model: LoadedModel, record: ECGRecord) -> tuple[int, list[Hit]]:
    index = open_index(BUNDLED_INDEX, model)
    return len(index), index.search_record(model, record, ARCHIVE_HITS)
