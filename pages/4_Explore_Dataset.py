"""Explore a dataset: zero-shot over a PTB-XL test split or MIT-BIH beats, and its failures."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import mets_core
from mets_core.app import keys, model_cache, plotting, session, settings, ui
from mets_core.app.charts import plot_beat_window, plot_confusion_matrix
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import METSError
from mets_core.evaluate import explore, explore_mitbih

LIVE_RUN = "zero-shot on"  # how a live run's source starts (session.set_explore below)
ui.page_setup("Explore dataset")
st.title("Explore a dataset and its failures")
model = model_cache.load_model_or_stop()
ui.show_weights_status(model)

dataset = st.radio(
    "Dataset",
    ["PTB-XL", "MIT-BIH"],
    horizontal=True,
    key=keys.W_DATASET,
    on_change=session.clear_explore,  # ids differ per dataset
)
mitbih_mode = dataset == "MIT-BIH"
# Only folders the operator configured (settings.dataset_roots): users pick a label, never a path.
roots = {
    r.label: r for r in settings.dataset_roots(settings.MITBIH if mitbih_mode else settings.PTBXL)
}
if not roots:
    st.info(
        f"No {dataset} folder is configured on this server. The operator names the folders this "
        "page may read in METS_PTBXL_ROOTS / METS_MITBIH_ROOTS (see docs/SERVING.md)."
    )
if mitbih_mode:
    choice = st.selectbox(
        "MIT-BIH Arrhythmia Database (folders configured on this server)",
        list(roots),
        key=keys.W_MITBIH_DIR,
    )
    task = "mitbih"
else:
    choice = st.selectbox(
        "PTB-XL copy (folders configured on this server)", list(roots), key=keys.W_DATA_DIR
    )
    task = st.selectbox("Task", list(TASK_CLASSES), key=keys.W_TASK)
root = roots.get(choice) if choice is not None else None
tab_run, tab_load = st.tabs(["Run zero-shot now", "Load saved predictions (results/)"])
with tab_run:
    if mitbih_mode:
        amount = st.number_input(
            "Beats per class (N, L, R, A, V; 5 s window each, paced records left out)",
            1,
            2_000,
            explore_mitbih.DEFAULT_BEATS_PER_CLASS,
            key=keys.W_BEATS_PER_CLASS,
        )
    else:
        amount = st.number_input(
            "At most this many test records (fold 10)", 1, 25_000, 100, key=keys.W_MAX_RECORDS
        )
    if st.button("Run zero-shot", key=keys.W_RUN_SPLIT, disabled=root is None):
        unit = "beats" if mitbih_mode else "test records"
        with ui.dataset_errors_shown(root, dataset):
            with ui.progress(f"Reading the {dataset} annotations…", unit) as report:
                if mitbih_mode:
                    table = explore_mitbih.predict_mitbih_beats(model, root.path, amount, 0, report)
                else:
                    table = explore.predict_test_split(model, root.path, task, amount, report)
        what = "beats" if mitbih_mode else f"test records, task {task}"
        session.set_explore(table, f"{LIVE_RUN} {root.label}, {len(table)} {what}")
with tab_load:
    saved = ui.result_files(".csv")
    if not saved:
        st.info("No per-record predictions CSV in results/ yet; run zero-shot instead.")
    else:
        path = st.selectbox(
            "Predictions file", saved, format_func=ui.relative_to_repo, key=keys.W_RESULTS_CSV
        )
        if st.button("Load predictions", key=keys.W_LOAD_RESULTS):
            try:
                session.set_explore(explore.read_predictions(path), ui.relative_to_repo(path))
            except METSError as error:
                ui.show_error_and_stop(error)

table = session.explore_table()
if table is None:
    st.stop()

st.divider()
source = session.explore_source()
st.caption(f"Predictions: {source}")
st.caption(
    explore.describe_live_run(model.config.zero_shot_template, task)
    if source.startswith(LIVE_RUN)
    else explore.describe_predictions_file(Path(source))
)
metrics = explore.compute_metrics(table)
col_n, col_acc, col_auc = st.columns(3)
col_n.metric("Records", len(table))
col_acc.metric("Top-1 in reference labels", f"{100 * metrics.accuracy:.1f}%")
macro = metrics.macro_auroc
col_auc.metric("Macro AUROC", "-" if macro is None else f"{macro:.3f}")
col_matrix, col_auroc = st.columns([3, 2])
with col_matrix:
    clicked = st.plotly_chart(
        plot_confusion_matrix(metrics.confusion, list(metrics.class_codes)),
        key="confusion_plot",
        on_select="rerun",
        selection_mode="points",
    )
    st.caption(
        f"Rows: reference; columns: top-ranked; {metrics.n_single_label} single-label ECGs. "
        "Click a cell to list its records (double-click the matrix to list all again)."
    )
with col_auroc:
    st.dataframe(
        {"class": list(metrics.auroc), "AUROC": [round(v, 3) for v in metrics.auroc.values()]},
        hide_index=True,
        key="auroc_table",
    )

cell = next((p for p in clicked.selection.points if "x" in p and "y" in p), None)
if cell is not None:
    shown = explore.cell_records(table, cell["y"], cell["x"])
    st.markdown(
        f"**Reference {cell['y']}, ranked {cell['x']} first**: {len(shown)} single-label "
        "records (clicked in the confusion matrix)"
    )
else:
    only_wrong = st.toggle("Only misclassified records/beats", value=True, key=keys.W_ONLY_WRONG)
    shown = table[~table["correct"].astype(bool)] if only_wrong else table
picked = st.dataframe(
    shown,
    hide_index=True,
    key="predictions_table",
    on_select="rerun",
    selection_mode="single-row",
)
if shown.empty:
    st.stop()
rows = picked.selection.rows
if rows:
    ecg_id = shown["ecg_id"].iloc[rows[0]]
    st.markdown(f"**Record {ecg_id}** (clicked in the table; click it again to deselect)")
else:
    ecg_id = st.selectbox(
        "Record to open (or click a row in the table)", shown["ecg_id"].tolist(), key=keys.W_OPEN_ID
    )
open_it = st.button("Open in the signal view", key=keys.W_OPEN_RECORD, type="primary")
if not (rows or open_it):
    st.stop()
if root is None:
    st.error(f"No {dataset} folder is configured on this server to open records from.")
    st.stop()
with ui.dataset_errors_shown(root, dataset):
    if mitbih_mode:
        opened = explore_mitbih.open_beat(root.path, ecg_id)
    else:
        opened = explore.open_ptbxl_record(root.path, task, ecg_id)
if open_it:
    try:
        ranking = mets_core.rank(model, opened.record, list(opened.candidates))
    except METSError as error:
        ui.show_error_and_stop(error)
    session.set_record(opened.record, opened.label, reference=opened.reference)
    session.set_ranking(ranking)
    session.set_candidates_text("\n".join(opened.candidates))
    ui.go_to("pages/3_Signal_View.py", "Signal view")
st.caption(f"{opened.label}. Reference (from the dataset): {opened.reference}")
if opened.beat_s is not None:
    preview = plot_beat_window(opened.record, opened.beat_s, opened.beat_label or "annotated beat")
else:
    preview = plotting.plot_ecg_paper(opened.record, title=opened.label)
st.plotly_chart(preview, key="record_preview")
