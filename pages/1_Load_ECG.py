"""Load an ECG: pick a bundled real example or upload a file; show what was read and every note."""

from __future__ import annotations

import streamlit as st

from mets_core.app import exports, keys, session, settings, ui
from mets_core.app.plotting import plot_ecg_paper
from mets_core.errors import METSError
from mets_core.io import examples
from mets_core.io.load import load_record_from_uploads
from mets_core.io.readers import SUPPORTED_FORMATS_TEXT
from mets_core.io.uploads import (
    hide_file_names,
    neutral_upload_label,
    upload_format_name,
    without_file_names,
)

ui.page_setup("Load ECG")
st.title("Load an ECG")

tab_example, tab_upload = st.tabs(["Bundled example", "Upload a file"])
with tab_example:
    catalogue = {example.key: example for example in examples.list_examples()}
    key = st.selectbox(
        "Real example record",
        list(catalogue),
        format_func=lambda k: catalogue[k].title,
        key=keys.W_EXAMPLE,
    )
    st.caption(catalogue[key].description)
    st.caption(f"Source: {catalogue[key].source}. Licence: {catalogue[key].licence}.")
    if st.button("Load this example", key=keys.W_LOAD_EXAMPLE, type="primary"):
        try:
            session.set_record(
                examples.load_example(key),
                f"Example: {catalogue[key].title}",
                reference=catalogue[key].diagnosis_reference,
            )
        except METSError as error:
            ui.show_error_and_stop(error)

with tab_upload:
    uploads = st.file_uploader(
        "Drop the ECG export here. A WFDB record needs both its .hea and .dat file.",
        accept_multiple_files=True,
        key=session.upload_widget_key(),  # a new key after each upload empties the widget
    )
    ui.style_uploader(show_file_names=session.show_file_names())
    limit_mb = settings.session_upload_limit_bytes() / 2**20
    st.caption(
        f"Read: {SUPPORTED_FORMATS_TEXT}. At most {limit_mb:.0f} MB at a time. Files are read "
        "once and dropped; only the ECG read from them stays, in this browser session only."
    )
    fs_hz = st.number_input(
        "Sampling rate in Hz (only for CSV / NPY files that do not state it)",
        min_value=0.0,
        max_value=10_000.0,
        value=0.0,
        step=50.0,
        key=keys.W_UPLOAD_FS,
    )
    session.restore_widget(keys.W_SHOW_FILE_NAMES, False)
    show_names = st.checkbox(
        "Show the uploaded files' names",
        key=keys.W_SHOW_FILE_NAMES,
        help="Off by default: clinical exports are often named after the patient. An upload is "
        "shown as e.g. “Upload 1, GE MUSE XML”; downloads never carry the file names.",
    )
    session.remember_widget(keys.W_SHOW_FILE_NAMES, show_names)
    if uploads:
        session.take_upload(uploads, settings.session_upload_limit_bytes())
        st.rerun()  # draw the emptied uploader; the held bytes are read below
    held = session.held_upload()
    signature = (fs_hz, held.number) if held else None
    if held and signature != session.upload_signature():
        session.set_upload_signature(signature)  # read each upload once per sampling rate
        names = [name for name, _ in held.files]
        label = neutral_upload_label(held.number, upload_format_name(held.files))
        try:
            read = load_record_from_uploads(list(held.files), fs_hz=fs_hz or None)
            session.set_record(  # also drops the held bytes: the record is all that stays
                without_file_names(read, names, label), label, file_names=names
            )
        except METSError as error:
            session.forget_record()  # never keep showing the previous ECG
            message = str(error) if show_names else hide_file_names(str(error), names, label)
            session.set_upload_error(message)
    if session.upload_error():
        st.error(session.upload_error(), icon=ui.ICON_ERROR)
        st.stop()

record = session.record()
if record is None:
    st.info("Pick an example or upload a file to begin.")
    st.stop()

st.divider()
st.subheader(session.record_label())
if session.reference():
    st.caption(f"Reference (from the dataset): {session.reference()}")
col_leads, col_fs, col_duration, col_units = st.columns(4)
col_leads.metric("Leads", record.n_leads)
col_fs.metric("Sampling rate", f"{record.fs_hz:g} Hz")
col_duration.metric("Duration", f"{record.duration_s:.1f} s")
col_units.metric("Units", "mV")
st.caption("Leads: " + ", ".join(record.lead_names))
ui.show_reading_notes(record.notes)
ui.show_patient_fields(record)
ui.show_file_statements(record)

st.markdown("**Signal quality per lead**")
st.dataframe(exports.quality_table(ui.lead_quality(record)), hide_index=True, key="quality_table")
ui.show_quality_verdict(record, "rankings and measurements of it may be meaningless")

preview = ui.for_record(record, "preview", lambda: plot_ecg_paper(record, title="Raw signal"))
st.plotly_chart(preview, key="preview_plot")
col_view, col_rank = st.columns(2)
with col_view:
    ui.link_to("pages/3_Signal_View.py", "Open the signal view", ":material/monitor_heart:")
with col_rank:
    ui.link_to("pages/2_Zero_Shot.py", "Rank candidate diagnoses", ":material/sort:")
