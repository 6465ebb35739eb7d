"""Signal view: the ECG as paper, raw or cleaned, with measurements, median beats and calipers."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

import mets_core
from mets_core.app import exports, keys, plotting, session, ui
from mets_core.errors import METSError
from mets_core.signal import file_values, measurements
from mets_core.signal.beats import AMPLITUDE_CLEAN_METHOD

ui.page_setup("Signal view")
st.title("Signal view")
record = ui.record_or_stop()
st.caption(session.record_label())
if session.reference():
    st.caption(f"Reference (from the dataset): {session.reference()}")
if session.ranking() is not None:
    ui.link_to("pages/2_Zero_Shot.py", "See the model's ranking for this ECG", ":material/sort:")

col_layout, col_speed, col_gain, col_trace, col_mains = st.columns([2, 1, 1.3, 2.2, 1])
layout = col_layout.radio("Layout", ["3x4", "6x2", "12x1"], key=keys.W_LAYOUT, horizontal=True)
speed_mm_s = col_speed.radio("mm/s", [25, 50], key=keys.W_SPEED, horizontal=True)
gain_mm_mv = col_gain.radio("mm/mV", [5, 10, 20], index=1, key=keys.W_GAIN, horizontal=True)
trace = col_trace.radio(
    "Trace", ["Raw", "Cleaned", "Cleaned over raw"], key=keys.W_TRACE, horizontal=True
)
powerline_hz = col_mains.radio("Mains Hz", [50, 60], key=keys.W_POWERLINE, horizontal=True)
show_peaks = st.toggle("Mark R-peaks", value=True, key=keys.W_RPEAKS)

peak_lead = "II" if "II" in record.lead_names else record.lead_names[0]
try:  # what depends only on the record and a setting is computed once per record (ui.for_record)
    cleaned = ui.for_record(
        record,
        f"cleaned/{powerline_hz} Hz",
        lambda: replace(
            record,
            signal=mets_core.clean_ecg(
                record.signal,
                fs_hz=record.fs_hz,
                powerline_hz=powerline_hz,
                method=AMPLITUDE_CLEAN_METHOD,
            ),
        ),
    )
    r_peaks_s = None
    if show_peaks:
        peaks = ui.for_record(
            record, f"r-peaks/{peak_lead}", lambda: measurements.find_r_peaks(record, peak_lead)
        )
        r_peaks_s = {peak_lead: peaks}
except METSError as error:
    ui.show_error_and_stop(error)

filter_text = (
    "raw signal, no filter"
    if trace == "Raw"
    else f"0.5 Hz high-pass (neurokit2 Butterworth) + {powerline_hz} Hz notch, QRS height kept"
)
st.plotly_chart(
    plotting.plot_ecg_paper(
        record,
        layout=layout,
        speed_mm_s=speed_mm_s,
        gain_mm_mv=gain_mm_mv,
        cleaned=None if trace == "Raw" else cleaned,
        overlay_raw=trace == "Cleaned over raw",
        r_peaks_s=r_peaks_s,
        filter_text=filter_text,
    ),
    key="paper_plot",
    config={"scrollZoom": True, "displaylogo": False},
)
st.caption(f"Filter: {filter_text}. Zoom with the mouse wheel or a box; double-click to reset.")

tab_measure, tab_median, tab_caliper, tab_quality = st.tabs(
    ["Measurements", "Median beats", "Calipers", "Lead quality"]
)
with tab_measure:
    try:
        result = ui.for_record(
            record, "intervals/II", lambda: measurements.measure_intervals(record, lead="II")
        )
    except METSError as error:
        ui.show_error_and_stop(error)
    rows = file_values.side_by_side(result, record.file_info)
    st.dataframe(rows, hide_index=True, key="measure_table")
    ui.show_notes(result.notes, title="Measurement")
    ui.show_file_statements(record)

with tab_median:
    stored = record.file_median_beats
    sources = ["Computed here from the rhythm", "Stored in the file"] if stored else None
    if sources and st.radio("Median beats", sources, key=keys.W_MEDIAN_SOURCE) == sources[1]:
        st.plotly_chart(plotting.plot_file_median_beats(stored), key="file_median_plot")
    else:
        try:
            medians = ui.for_record(
                record,
                "median beats",
                lambda: measurements.median_beats(record, clean_method=AMPLITUDE_CLEAN_METHOD),
            )
        except METSError as error:
            ui.show_error_and_stop(error)
        st.plotly_chart(plotting.plot_median_beats(medians, record.fs_hz), key="median_plot")


@st.fragment  # a caliper click reruns only this part, not the whole page
def _calipers() -> None:
    st.caption(
        "Click a point, then Shift+click a second one (or drag a box): the first and last "
        "selected points are the caliper ends. Reads time, rate and amplitude."
    )
    lead = st.selectbox("Lead", record.lead_names, key=keys.W_CALIPER_LEAD)
    event = st.plotly_chart(
        plotting.plot_raw_vs_clean(record, cleaned, lead),
        key="caliper_plot",
        on_select="rerun",
        selection_mode=("points", "box"),
    )
    points = sorted(event.selection.points, key=lambda p: p["x"]) if event else []
    if len(points) >= 2:
        first, last = points[0], points[-1]
        readout = measurements.caliper_readout(first["x"], first["y"], last["x"], last["y"])
        col_dt, col_rate, col_dv = st.columns(3)
        col_dt.metric("Time", f"{readout['dt_ms']:.0f} ms")
        col_rate.metric("Rate (60000 / time)", f"{readout['rate_bpm']:.0f} bpm")
        col_dv.metric("Amplitude", f"{readout['dv_mv']:+.2f} mV")
    else:
        st.info(f"{len(points)} of 2 points selected.")


with tab_caliper:
    _calipers()

with tab_quality:
    st.dataframe(
        exports.quality_table(ui.lead_quality(record)), hide_index=True, key="quality_table"
    )
