"""Signal view: the ECG as paper, raw or display-filtered, with measurements, median beats and
calipers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from mets_core.app import exports, keys, plotting, session, ui
from mets_core.errors import METSError
from mets_core.signal import calibration, calipers, display_filter, file_values, measurements
from mets_core.signal.beats import AMPLITUDE_CLEAN_METHOD

FILTER_NAMES = {
    "diagnostic": "Diagnostic 0.05-150 Hz (AHA)",
    "monitor": "Monitor 0.5 Hz high-pass",
}
TABLE_ROW_PX, TABLE_HEADER_PX = 35, 38  # st.dataframe row height: show every row, no scrolling

ui.page_setup("Signal view")
st.title("Signal view")
record = ui.record_or_stop()
st.caption(session.record_label())
if session.reference():
    st.caption(f"Reference (from the dataset): {session.reference()}")
if session.ranking() is not None:
    ui.link_to("pages/2_Zero_Shot.py", "See the model's ranking for this ECG", ":material/sort:")

cols = st.columns([1.6, 0.9, 1.2, 2.1, 2.2, 0.9])
layout = cols[0].radio("Layout", ["3x4", "6x2", "12x1"], key=keys.W_LAYOUT, horizontal=True)
speed_mm_s = cols[1].radio("mm/s", [25, 50], key=keys.W_SPEED, horizontal=True)
gain_mm_mv = cols[2].radio("mm/mV", [5, 10, 20], index=1, key=keys.W_GAIN, horizontal=True)
trace = cols[3].radio(
    "Trace", ["Raw", "Cleaned", "Cleaned over raw"], index=1, key=keys.W_TRACE, horizontal=True
)
filter_mode = cols[4].radio(
    "Display filter",
    display_filter.DISPLAY_MODES,
    format_func=FILTER_NAMES.get,
    key=keys.W_DISPLAY_FILTER,
    disabled=trace == "Raw",
    help="What you see only: the model always gets its own, fixed preprocessing.",
)
powerline_hz = cols[5].radio("Mains Hz", [50, 60], key=keys.W_POWERLINE, horizontal=True)
show_peaks = st.toggle("Mark R-peaks", value=True, key=keys.W_RPEAKS)

try:  # what depends only on the record and a setting is computed once per record (ui.for_record)
    pulses = ui.for_record(
        record, "calibration pulses", lambda: calibration.find_calibration_pulses(record)
    )
    described = display_filter.describe_display_filter(filter_mode, record.fs_hz, powerline_hz)
    displayed = ui.for_record(
        record,
        f"display/{filter_mode}/{powerline_hz} Hz",
        lambda: replace(
            record,
            signal=display_filter.filter_for_display(
                record.signal, fs_hz=record.fs_hz, mode=filter_mode, powerline_hz=powerline_hz
            ),
        ),
    )
    result = ui.for_record(
        record, "intervals/II", lambda: measurements.measure_intervals(record, lead="II")
    )
except METSError as error:
    ui.show_error_and_stop(error)

filter_text = None if trace == "Raw" else described.label
shown = record if trace == "Raw" else displayed
st.plotly_chart(
    plotting.plot_ecg_paper(
        record,
        layout=layout,
        speed_mm_s=speed_mm_s,
        gain_mm_mv=gain_mm_mv,
        cleaned=None if trace == "Raw" else displayed,
        overlay_raw=trace == "Cleaned over raw",
        r_peaks_s={result.lead: np.asarray(result.r_peaks_s)} if show_peaks else None,
        filter_text=filter_text,
        calibration_pulses=pulses,
    ),
    key="paper_plot",
    config={"scrollZoom": True, "displaylogo": False},
)
caption = f"Filter: {filter_text or 'none (raw signal)'}"
caption += f"; {described.note}" if described.note and filter_text else ""
if show_peaks:
    caption += (
        f". R-peak markers: the {result.n_beats} beats the measurements use (lead {result.lead})"
    )
st.caption(caption + ". Zoom with the mouse wheel or a box; double-click to reset.")
for pulse in pulses:
    st.info(
        f"The file {'ends' if pulse.at_end else 'starts'} with the {pulse.describe()}: the "
        "recording device's own reference, not ECG. It is shaded on the tracing and left out of "
        "the quality checks, the measurements and the model input.",
        icon=":material/straighten:",
    )

tab_measure, tab_caliper, tab_median, tab_quality = st.tabs(
    ["Measurements", "Calipers", "Median beats", "Lead quality"]
)
with tab_measure:
    rows = file_values.side_by_side(result, record.file_info)
    height = TABLE_HEADER_PX + TABLE_ROW_PX * len(rows)
    st.dataframe(rows, hide_index=True, key="measure_table", height=height)
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


def _clicked(event, lead: str) -> calipers.CaliperPoint | None:
    """The sample under the clicked point of the lead trace (trace 0), or None."""
    picked = [p for p in (event.selection.points if event else []) if p["curve_number"] == 0]
    if not picked:
        return None
    return calipers.snap_to_sample(shown.lead(lead), shown.fs_hz, float(picked[-1]["x"]), lead)


@st.fragment  # a caliper click reruns only this part, not the whole page
def _calipers() -> None:
    st.caption(
        "Click a point on the tracing, then a second one: the interval (ms), the rate it means "
        "as an RR (bpm) and the amplitude change (mV) appear. A third click starts a new "
        "measurement. Drag a box to zoom in first for precision; double-click to zoom out."
    )
    col_lead, col_clear = st.columns([3, 1])
    default = record.lead_names.index("II") if "II" in record.lead_names else 0
    lead = col_lead.selectbox("Lead", record.lead_names, index=default, key=keys.W_CALIPER_LEAD)
    if col_clear.button("Clear calipers", key=keys.W_CALIPER_CLEAR):
        session.clear_calipers()
    points = tuple(p for p in session.caliper_points() if p.lead == lead)
    event = st.plotly_chart(
        plotting.plot_caliper_lead(shown, lead, points, filter_text=filter_text),
        key=keys.W_CALIPER_PLOT,
        on_select="rerun",
        selection_mode="points",
        config={"displaylogo": False},
    )
    after = session.take_caliper_click(_clicked(event, lead))
    if tuple(p for p in after if p.lead == lead) != points:
        st.rerun(scope="fragment")  # draw the new point
    if len(points) == 2:
        reading = calipers.read_calipers(*points)
        col_dt, col_rate, col_dv = st.columns(3)
        col_dt.metric("Interval", f"{reading.dt_ms:.0f} ms")
        col_rate.metric("Rate, if this is an RR", f"{reading.rate_bpm:.0f} bpm")
        col_dv.metric("Amplitude change", f"{reading.dv_mv:+.2f} mV")
    for number, point in enumerate(points, start=1):
        st.caption(f"Point {number}: {point.t_s:.3f} s, {point.v_mv:+.2f} mV (lead {point.lead})")
    if len(points) < 2:
        st.info(f"{len(points)} of 2 points placed: click {'a second' if points else 'a'} point.")


with tab_caliper:
    _calipers()

with tab_quality:
    if pulses:
        st.caption("The device calibration pulse is left out of these checks.")
    st.dataframe(
        exports.quality_table(ui.lead_quality(record)), hide_index=True, key="quality_table"
    )
