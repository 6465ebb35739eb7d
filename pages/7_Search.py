"""Search: the bundled PTB-XL fold-10 index by free text; open a hit in the signal view."""

from __future__ import annotations

import streamlit as st

from mets_core.app import keys, model_cache, session, settings, ui
from mets_core.errors import METSError
from mets_core.evaluate import explore
from mets_core.index.search import BUNDLED_INDEX, hits_table, open_index

ui.page_setup("Search")
st.title("Search ECGs by text")
st.markdown(
    "Type a finding; METS lists the indexed ECGs whose embedding is closest to the text's (the "
    "same similarity as the Zero-shot page, turned around: one text against many ECGs). The "
    "bundled index holds the 255 PTB-XL fold-10 records available offline, with their labels "
    "and original report. Closeness is not a diagnosis."
)
model = model_cache.load_model_or_stop()
ui.show_weights_status(model)
try:
    index = open_index(BUNDLED_INDEX, model)
except METSError as error:  # e.g. other weights in use: say so, the rest of the app still works
    st.warning(f"The bundled index cannot be searched with this model. {error}")
    st.stop()

col_text, col_top = st.columns([4, 1])
text = col_text.text_input(
    "Find ECGs like", "complete left bundle branch block", key=keys.W_SEARCH_TEXT
)
top = col_top.number_input("How many", 1, 50, 10, key=keys.W_SEARCH_TOP)
try:
    hits = index.search_text(model, text, int(top))
except METSError as error:
    ui.show_error_and_stop(error)
st.caption(
    f"{len(index)} indexed ECGs · query {model.config.zero_shot_template.replace('{}', text)!r}"
)
st.dataframe(hits_table(hits), hide_index=True, key="search_hits")

ids = [h.ptbxl_ecg_id for h in hits if h.ptbxl_ecg_id is not None]
roots = settings.dataset_roots(settings.PTBXL)
if not ids:
    st.stop()
ecg_id = st.selectbox("Record to open", ids, key=keys.W_SEARCH_PICK)
if not roots:
    st.info("No PTB-XL folder is configured on this server, so hits cannot be opened here.")
    st.stop()
if st.button("Open in the signal view", key=keys.W_SEARCH_OPEN, type="primary"):
    root = roots[0]
    with ui.dataset_errors_shown(root, "PTB-XL"):
        opened = explore.open_ptbxl_record(root.path, "superclass", ecg_id)
    session.set_record(opened.record, opened.label, reference=opened.reference)
    ui.go_to("pages/3_Signal_View.py", "Signal view")
