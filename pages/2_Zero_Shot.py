"""Zero-shot ranking: free-text candidate diagnoses ranked by similarity to the loaded ECG."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

import mets_core
from mets_core.app import exports, hit_cards, keys, model_cache, session, settings, ui
from mets_core.app.plotting import plot_lead_importance, plot_scores, plot_time_importance
from mets_core.app.reading_download import show_reading_downloads
from mets_core.errors import METSError
from mets_core.evaluate import explore
from mets_core.zeroshot.abstain import controls_line
from mets_core.zeroshot.explain import time_importance
from mets_core.zeroshot.labels import presets
from mets_core.zeroshot.rank import probability_meaning, probability_name

ui.page_setup("Zero-shot ranking")
st.title("Rank candidate diagnoses")
st.caption(
    "A similarity ranking between the candidates you type, for research and teaching. "
    "It is not a probability of disease and not a diagnosis."
)
record = ui.record_or_stop()
model = model_cache.load_model_or_stop()
ui.show_weights_status(model)


PRESET_NONE = "(type your own)"


def _apply_preset() -> None:
    name = session.preset_choice()
    if name in presets():
        session.set_candidates_text("\n".join(presets()[name]))


# Every input is restored from this session before it is drawn and remembered after: Streamlit
# forgets a widget's value when the user visits another page.
session.restore_widget(keys.W_PRESET, PRESET_NONE)
preset = st.selectbox(
    "Preset candidate list (fills the box below; edit freely)",
    [PRESET_NONE, *presets()],
    key=keys.W_PRESET,
    on_change=_apply_preset,
)
session.remember_widget(keys.W_PRESET, preset)
session.restore_widget(keys.W_CANDIDATES, "")
text = st.text_area(
    "Candidate diagnoses, one per line",
    key=keys.W_CANDIDATES,
    height=160,
    placeholder="Type one diagnosis per line, e.g. atrial fibrillation",
)
session.remember_widget(keys.W_CANDIDATES, text)
session.restore_widget(keys.W_TEMPLATE, model.config.zero_shot_template)
template = st.text_input("Prompt template ({} is replaced by each candidate)", key=keys.W_TEMPLATE)
session.remember_widget(keys.W_TEMPLATE, template)
session.restore_widget(keys.W_CENTER, False)
center = st.checkbox(
    "Centre the candidates (subtract what all candidate texts share; needs 3 or more)",
    key=keys.W_CENTER,
    help="Removes what all candidate texts share; the scores then depend on which candidates "
    "are listed together. Off by default: fold 9 did not choose it, and the published numbers "
    "are without it (see the Model card).",
)
session.remember_widget(keys.W_CENTER, center)
if st.button("Rank", key=keys.W_RANK, type="primary"):
    try:
        ranking = mets_core.rank(model, record, text, template=template, center=center)
    except METSError as error:
        session.forget_ranking()  # no earlier ranking may look like the answer to this list
        ui.show_error_and_stop(error)
    session.set_ranking(ranking, template=template, centred=center)

ranking = session.ranking()
if ranking is None:
    st.stop()

items = list(ranking)
settings_used = session.ranking_settings()
if not ui.ranking_matches_inputs(ranking, settings_used, text, template, center):
    st.info(
        "The ranking below is for the list ranked before ("
        + ", ".join(item.candidate for item in items)
        + "). Press **Rank** to rank the candidates and settings above.",
        icon=":material/history:",
    )
if ranking.abstain:  # the first thing above the ranking
    st.error(
        f"**Not read as an ECG.** {ranking.abstain_reason} The ranking below is shown for "
        "inspection only: do not read a diagnosis from it.",
        icon=ui.ICON_WARNING,
    )
controls_slot = st.empty()  # the controls line, filled once the ranking is drawn
ui.show_quality_verdict(record, "the model ranks whatever it is given, so treat this with care")
for caution in (
    (ranking.uniformity_warning,) if ranking.uniformity_warning else ()
) + ranking.cautions:
    st.warning(caution)
ui.show_reading_notes(ranking.notes, routine=False)  # what changes the reading, above it

if ranking.abstain:
    section = st.expander("Ranking (shown for inspection only)", expanded=False)
else:
    section = st.container()
with section:
    st.subheader("Ranking")
    st.markdown(
        f"Top-ranked: **{items[0].candidate}** (cosine {items[0].cosine:.3f}; "
        f"{probability_name(ranking)}: {100 * items[0].probability:.0f}%)"
    )
    ui.show_reference_comparison(ranking, session.reference())
    st.dataframe(exports.ranking_table(ranking), hide_index=True, key="ranking_table")
    st.plotly_chart(
        plot_scores(
            [item.candidate for item in items],
            [item.cosine for item in items],
            [item.probability for item in items],
            ranking.temperature,
            probability_name(ranking),
        ),
        key="scores_plot",
    )
    st.caption(
        f"{probability_meaning(ranking)} Ran on {ranking.device} in {ranking.elapsed_s:.2f} s."
    )
    if items[0].percentile is not None:
        st.caption(
            f"“{exports.PERCENTILE_COLUMN}”: this ECG is more similar to the candidate than that "
            f"share of the {len(model.reference or ())} reference ECGs (PTB-XL training folds "
            "1-8). It removes each text's own bias: a text that scores high with every ECG "
            "gets a high cosine but not a high percentile."
        )
    with st.expander("Exact prompts sent to the text model"):
        st.table({"candidate": [i.candidate for i in items], "prompt": [i.prompt for i in items]})
ui.show_reading_notes(ranking.notes, warnings=False)  # routine: one collapsed list below

controls = session.sanity_results(ranking)
if controls is None:  # the flat-line and noise controls, for the same candidates: the first
    # ranking of a record embeds them (~0.5 s), so they come after the ranking is on screen
    controls = ui.rank_controls(model, record, ranking)
controls_slot.markdown(controls_line(controls))

st.subheader("Most similar training reference ECGs")
if ranking.neighbours is None:
    st.caption(
        "These weights ship no reference bank: no similar training reference ECGs and no "
        "percentiles."
    )
else:
    st.caption(
        "The model's reference bank: the training ECGs (PTB-XL folds 1-8) closest to this one, "
        "with their labels and reports: case-based evidence to compare against, not a diagnosis."
    )
    st.dataframe(exports.neighbours_table(ranking), hide_index=True, key="neighbours_table")
    roots = settings.dataset_roots(settings.PTBXL)
    if roots:
        ids = [n.ecg_id for n in ranking.neighbours]
        col_pick, col_open = st.columns([2, 1])
        chosen = col_pick.selectbox("Training reference ECG (ecg_id)", ids, key=keys.W_NEIGHBOUR)
        if col_open.button("Open in the signal view", key=keys.W_OPEN_NEIGHBOUR):
            with ui.dataset_errors_shown(roots[0], "PTB-XL"):
                opened = explore.open_ptbxl_record(roots[0].path, "superclass", chosen)
            session.set_record(opened.record, opened.label, reference=opened.reference)
            ui.go_to("pages/3_Signal_View.py", "Signal view")

st.subheader("Similar ECGs in the searchable archive")
hit_cards.show_archive_neighbours(model, record)

csv_bytes, json_bytes = exports.ranking_exports(ranking, record, asdict(settings_used))
col_csv, col_json = st.columns(2)
# on_click="ignore": a download must not rerun the page (under load the rerun dropped the file
# before the browser fetched it: 8 of 20 downloads failed in benchmarks/load_app.py)
col_csv.download_button(
    "Download CSV", csv_bytes, "mets_ranking.csv", "text/csv", key="w.csv", on_click="ignore"
)
col_json.download_button(
    "Download JSON",
    json_bytes,
    "mets_ranking.json",
    "application/json",
    key="w.json",
    on_click="ignore",
)
show_reading_downloads(record, ranking, session.record_label())

ui.link_to("pages/6_Sanity_Check.py", "Sanity check: is it reading the ECG?", ":material/science:")
st.subheader(f"Which leads and which seconds drove “{items[0].candidate}”?")
st.caption("Score change of the top candidate when each lead, or each second, is set to zero.")
if st.button("Compute lead and time importance", key=keys.W_EXPLAIN):
    top, template = items[0].candidate, settings_used.template
    try:
        session.set_importance(
            mets_core.lead_importance(model, record, top, template=template),
            time_importance(model, record, top, template=template),
        )
    except METSError as error:
        ui.show_error_and_stop(error)
importance = session.importance()
if importance:
    by_lead, by_time = importance
    chart = plot_lead_importance(list(by_lead), list(by_lead.values()))
    st.plotly_chart(chart, key="importance_plot")
    st.plotly_chart(plot_time_importance(record, by_time), key="time_importance_plot")
    st.caption(by_time.note or "Every second of the recording was masked in turn.")
