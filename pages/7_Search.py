"""Search: the bundled PTB-XL fold-10 index by free text or by the loaded ECG; open a hit."""

from __future__ import annotations

import streamlit as st

from mets_core.app import keys, model_cache, session, settings, thumbnails, ui
from mets_core.errors import METSError
from mets_core.evaluate import explore
from mets_core.index.search import BUNDLED_INDEX, Hit, hits_table, open_index

BY_TEXT, BY_RECORD = "A finding (text)", "The loaded ECG"
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

mode = st.radio("Find ECGs like", [BY_TEXT, BY_RECORD], horizontal=True, key=keys.W_SEARCH_MODE)
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

roots = settings.dataset_roots(settings.PTBXL)
if not roots:
    st.info(
        "No PTB-XL folder is configured on this server, so hits cannot be drawn or opened here "
        "(see docs/SERVING.md, METS_PTBXL_ROOTS)."
    )
    st.stop()
root = roots[0]


def _open(hit: Hit) -> None:
    with ui.dataset_errors_shown(root, "PTB-XL"):
        opened = explore.open_ptbxl_record(root.path, "superclass", hit.ptbxl_ecg_id)
    session.set_record(opened.record, opened.label, reference=opened.reference)
    ui.go_to("pages/3_Signal_View.py", "Signal view")


st.subheader("Nearest ECGs", divider="gray")
st.caption("Lead II, first 10 s, 25 mm/s, 10 mm/mV, unfiltered (baseline centred).")
for hit in [h for h in hits if h.ptbxl_ecg_id is not None][:THUMBNAILS_SHOWN]:
    col_trace, col_text = st.columns([3, 2], vertical_alignment="center")
    with col_trace:
        try:
            figure = thumbnails.dataset_thumbnail(str(root.path), hit.ptbxl_ecg_id)
        except METSError as error:
            st.caption(f"Cannot draw this record: {error}")
        else:
            st.plotly_chart(
                figure, config={"staticPlot": True}, key=f"search_thumb_{hit.rank}", width="stretch"
            )
    with col_text:
        st.markdown(
            f"**#{hit.rank}** · cosine {hit.cosine:.3f} · PTB-XL ecg_id {hit.ptbxl_ecg_id} "
            f"(fold {hit.ptbxl_strat_fold})  \n{'; '.join(hit.labels) or 'no labels'}"
        )
        if hit.report:
            st.caption(f"Report: {hit.report}")
        if st.button("Open in the signal view", key=f"{keys.W_SEARCH_OPEN}_{hit.rank}"):
            _open(hit)
