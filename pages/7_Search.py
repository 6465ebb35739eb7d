"""Search: the bundled PTB-XL fold-10 index by free text or by the loaded ECG; open a hit."""

from __future__ import annotations

import streamlit as st

from mets_core.app import hit_cards, keys, model_cache, session, ui
from mets_core.errors import METSError
from mets_core.index.search import BUNDLED_INDEX, hits_table, open_index

THUMBNAILS_SHOWN = 12  # hits drawn as cards; the table lists them all

ui.page_setup("Search")
st.title("Search ECGs")
st.markdown(
    "Type a finding, or use the ECG loaded in this session: METS lists the indexed ECGs whose "
    "embedding is closest (the same similarity as the Zero-shot page, turned around: one query "
    "against many ECGs). The bundled index holds the 255 PTB-XL fold-10 records available "
    "offline, with their labels and original report. Closeness is not a diagnosis."
)
model = model_cache.load_model_or_stop()
ui.show_weights_status(model)
try:
    index = open_index(BUNDLED_INDEX, model)
except METSError as error:  # e.g. other weights in use: say so, the rest of the app still works
    st.warning(f"The bundled index cannot be searched with this model. {error}")
    st.stop()

BY_TEXT, BY_RECORD = hit_cards.SEARCH_BY_TEXT, hit_cards.SEARCH_BY_RECORD
# Kept across pages: the Zero-shot page's "search for more" button opens this page by record.
session.restore_widget(keys.W_SEARCH_MODE, BY_TEXT)
mode = st.radio("Find ECGs like", [BY_TEXT, BY_RECORD], horizontal=True, key=keys.W_SEARCH_MODE)
session.remember_widget(keys.W_SEARCH_MODE, mode)
col_query, col_top = st.columns([4, 1])
top = int(col_top.number_input("How many", 1, 50, 10, key=keys.W_SEARCH_TOP))
try:
    if mode == BY_TEXT:
        text = col_query.text_input(
            "Finding", "complete left bundle branch block", key=keys.W_SEARCH_TEXT
        )
        hits = index.search_text(model, text, top)
        query = f"query {model.config.zero_shot_template.replace('{}', text)!r}"
    else:
        record = session.record()
        if record is None:
            col_query.info("No ECG is loaded in this session yet.")
            ui.link_to("pages/1_Load_ECG.py", "Load an ECG", ":material/upload_file:")
            st.stop()
        col_query.markdown(f"**{session.record_label()}** (not stored, not added to the index)")
        hits = index.search_record(model, record, top)
        query = "query: the loaded ECG's embedding"
except METSError as error:
    ui.show_error_and_stop(error)
st.caption(f"{len(index)} indexed ECGs · {query}")
st.dataframe(hits_table(hits), hide_index=True, key="search_hits")

root = hit_cards.ptbxl_root()
if root is None:
    st.info(hit_cards.NO_PTBXL_FOLDER)
    st.stop()
st.subheader("Nearest ECGs", divider="gray")
hit_cards.show_hit_cards(hits, root, keys.W_SEARCH_OPEN, THUMBNAILS_SHOWN)
