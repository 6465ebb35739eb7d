"""Sanity check: rank the same candidates for a flat line, shuffled leads and noise."""

from __future__ import annotations

import streamlit as st

from mets_core.app import keys, model_cache, session, ui
from mets_core.zeroshot import sanity

ui.page_setup("Sanity check")
st.title("Sanity check: does the ranking depend on this ECG?")
st.caption(
    "A model that is not looking at the tracing gives the same answer for anything. This page "
    "ranks your candidates again for three control ECGs made from this record: a flat line, "
    "the same waveforms under shuffled lead names, and noise of the same amplitude."
)
record = ui.record_or_stop()
ranking = session.ranking()
if ranking is None:
    st.info("Rank some candidate diagnoses for this ECG first.")
    ui.link_to("pages/2_Zero_Shot.py", "Rank candidate diagnoses", ":material/sort:")
    st.stop()
model = model_cache.load_model_or_stop()
settings = session.ranking_settings()
st.markdown(
    f"This ECG: top candidate **{ranking[0].candidate}** among {len(ranking)} "
    f"(template `{settings.template or model.config.zero_shot_template}`)."
)
if st.button("Rank the controls", key=keys.W_SANITY, type="primary"):
    ui.rank_controls(model, record, ranking)

results = session.sanity_results(ranking)
if results is None:  # none yet, or made for an earlier ranking
    st.stop()
warning = sanity.verdict(results)
if warning:
    st.warning(warning, icon=ui.ICON_WARNING)
else:
    st.success(
        "Neither the flat line nor the noise gets this ECG's top candidate: the top answer "
        "depends on the tracing."
    )
st.dataframe(sanity.as_rows(results), hide_index=True, key="sanity_table")
st.caption(
    "Rank correlation: Spearman correlation of the control's cosines with this ECG's (+1 = the "
    "same order; shown from 3 candidates). Shuffled leads keeping the top answer suggest the "
    "answer rests on rhythm or QRS shape more than on which lead shows what. Seed 0."
)
