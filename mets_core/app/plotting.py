"""Plotly figures for the clinical signal view. Pure builders: they return `go.Figure`, never st.*.

The ECG is drawn the way it is printed: one sheet of pink 1 mm / 5 mm paper, x in seconds and y in
millivolts, the axes locked so a millimetre is square at the chosen speed and gain. Every lead
keeps its true time (column c of the 3 x 4 layout shows seconds 2.5c to 2.5(c+1)), so a time
caliper reads true times anywhere on the sheet. The chart builders (scores, lead importance,
confusion matrix), the raw-versus-clean strip and the median beats live in
`mets_core.app.charts` and are re-exported here.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go

from mets_core.app.charts import (
    plot_confusion_matrix,
    plot_file_median_beats,
    plot_lead_importance,
    plot_median_beats,
    plot_raw_vs_clean,
    plot_scores,
    plot_time_importance,
)
from mets_core.app.paper import (
    PEAK_COLOUR,
    RAW_COLOUR,
    TRACE_COLOUR,
    Paper,
    add_paper_axes,
    display_step,
    display_step_text,
)
from mets_core.errors import ECGInputError
from mets_core.leads import STANDARD_12_LEADS
from mets_core.record import ECGRecord
from mets_core.signal.calibration import PULSE_LABEL, CalibrationPulse, find_calibration_pulses
from mets_core.signal.calipers import CaliperPoint, read_calipers

__all__ = [
    "plot_caliper_lead",
    "plot_confusion_matrix",
    "plot_ecg_paper",
    "plot_file_median_beats",
    "plot_lead_importance",
    "plot_median_beats",
    "plot_raw_vs_clean",
    "plot_scores",
    "plot_time_importance",
]

Layout = Literal["3x4", "6x2", "12x1"]
ROW_MM = 35.0  # vertical distance between row baselines on the paper (multiple of 5 mm)
CAL_MM = 10.0  # paper before each row's signal, holding the 1 mV calibration pulse
PAGE_S = 10.0  # one sheet shows 10 s (a device calibration pulse just after it is added)
PULSE_FILL = "rgba(31, 95, 191, 0.12)"  # shading behind a device calibration pulse
CALIPER_COLOUR = "#d62728"
_GRID: dict[str, tuple[tuple[str, ...], ...]] = {
    "3x4": (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6")),
    "6x2": tuple(zip(STANDARD_12_LEADS[:6], STANDARD_12_LEADS[6:], strict=True)),
    "12x1": tuple((name,) for name in STANDARD_12_LEADS),
}


def _segment(x: npt.NDArray[np.float32], fs_hz: float, start_s: float, stop_s: float, step: int):
    first, last = int(round(start_s * fs_hz)), min(int(round(stop_s * fs_hz)), x.size)
    index = np.arange(first, last, step)
    return index / fs_hz, x[index]


def _calibration(offsets_mv: list[float], paper: Paper) -> go.Scatter:
    """A 1 mV, 5 mm wide pulse in the paper margin before every row, as one trace."""
    mm = paper.s_per_mm
    xs: list[float | None] = []
    ys: list[float | None] = []
    for base in offsets_mv:
        shape_x = [-CAL_MM * mm, -8 * mm, -8 * mm, -3 * mm, -3 * mm, -1 * mm]
        xs += [*shape_x, None]
        ys += [base, base, base + 1.0, base + 1.0, base, base, None]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": TRACE_COLOUR, "width": 1.4},
        name="1 mV calibration",
        hoverinfo="name",
        showlegend=False,
    )


def _lead_label(name: str, record: ECGRecord) -> str:
    if name not in record.lead_names:
        return f"{name} — missing"
    return f"{name} (derived)" if name in record.derived_leads else name


def _check_cleaned(record: ECGRecord, cleaned: ECGRecord | None) -> None:
    if cleaned is None:
        return
    if cleaned.signal.shape != record.signal.shape or cleaned.fs_hz != record.fs_hz:
        raise ECGInputError(
            f"The cleaned signal ({cleaned.signal.shape}, {cleaned.fs_hz} Hz) does not match the "
            f"recording ({record.signal.shape}, {record.fs_hz} Hz); clean the same recording."
        )


def _panels(
    record: ECGRecord, layout: Layout, page_s: float, shown_s: float
) -> list[tuple[str, float, float, int]]:
    """(lead, start_s, stop_s, row) for every panel, rhythm strip (lead II, 3x4 only) last.

    Columns split `page_s`; the last column and the rhythm strip run on to `shown_s`, so a device
    calibration pulse just after the page is drawn at the end of each row, as printed.
    """
    rows = _GRID[layout]
    n_cols = len(rows[0])
    col_s = page_s / n_cols
    panels = [
        (name, c * col_s, shown_s if c == n_cols - 1 else (c + 1) * col_s, r)
        for r, row in enumerate(rows)
        for c, name in enumerate(row)
    ]
    if layout == "3x4":
        strip = "II" if "II" in record.lead_names else record.lead_names[0]
        panels.append((strip, 0.0, shown_s, len(rows)))
    return panels


def _shown_s(record: ECGRecord, pulses: tuple[CalibrationPulse, ...]) -> tuple[float, float]:
    """(page, shown) seconds: 10 s of paper, plus a device pulse that ends within 1.5 s after."""
    page_s = min(record.duration_s, PAGE_S)
    ends = [p.segment_stop_s for p in pulses if p.at_end and p.segment_stop_s <= page_s + 1.5]
    return page_s, max([page_s, *ends])


def _mark_pulses(fig: go.Figure, pulses: tuple[CalibrationPulse, ...], shown_s: float) -> None:
    """Shade each device calibration pulse's segment across the sheet and label it."""
    for pulse in pulses:
        if pulse.segment_start_s >= shown_s:
            continue
        fig.add_vrect(
            x0=pulse.segment_start_s,
            x1=min(pulse.segment_stop_s, shown_s),
            fillcolor=PULSE_FILL,
            line_width=0,
            layer="below",
        )
        fig.add_annotation(
            x=min(pulse.segment_stop_s, shown_s) if pulse.at_end else pulse.segment_start_s,
            xanchor="right" if pulse.at_end else "left",
            y=1.0,
            yref="paper",
            yanchor="bottom",
            text=f"{PULSE_LABEL}<br>{pulse.amplitude_mv:.1f} mV, not ECG",
            showarrow=False,
            font={"size": 11, "color": PEAK_COLOUR},
        )


def _lead_traces(
    record: ECGRecord, cleaned: ECGRecord | None, overlay_raw: bool, panel: tuple, base_mv: float
) -> list[go.Scatter]:
    """The drawn signal of one panel (cleaned if given), with raw underneath when asked."""
    name, start_s, stop_s, _ = panel
    step = display_step(record.fs_hz)
    shown = cleaned if cleaned is not None else record
    layers = [(record, RAW_COLOUR, "raw")] if cleaned is not None and overlay_raw else []
    layers.append((shown, TRACE_COLOUR, "cleaned" if cleaned is not None else "raw"))
    traces = []
    for source, colour, kind in layers:
        t, v = _segment(source.lead(name), record.fs_hz, start_s, stop_s, step)
        traces.append(
            go.Scatter(
                x=t,
                y=v + base_mv,
                mode="lines",
                line={"color": colour, "width": 1.1},
                name=f"{name} ({kind})",
                hovertemplate="%{x:.3f} s<extra>%{fullData.name}</extra>",
                meta={"lead": name, "offset_mv": base_mv, "kind": kind},
                showlegend=False,
            )
        )
    return traces


def _peak_trace(
    shown: ECGRecord, r_peaks_s: dict[str, np.ndarray], panels: list, bases: list[float]
) -> go.Scatter:
    xs, ys = [], []
    for (name, start_s, stop_s, _), base in zip(panels, bases, strict=True):
        if name not in shown.lead_names or name not in r_peaks_s:
            continue
        times = np.asarray(r_peaks_s[name], dtype=float)
        times = times[(times >= start_s) & (times < stop_s)]
        index = np.clip(np.round(times * shown.fs_hz).astype(int), 0, shown.n_samples - 1)
        xs.extend(times)
        ys.extend(shown.lead(name)[index] + base)
    return go.Scatter(
        x=xs,
        y=ys,
        mode="markers",
        name="R-peaks",
        showlegend=False,
        marker={"color": PEAK_COLOUR, "size": 6, "symbol": "triangle-down"},
        hovertemplate="R-peak %{x:.3f} s<extra></extra>",
    )


def _separators(panels: list, bases: list[float], paper: Paper) -> go.Scatter:
    """Short vertical marks where one lead's column hands over to the next."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    half = 3 * paper.mv_per_mm
    for (_, start_s, _, _), base in zip(panels, bases, strict=True):
        if start_s > 0:
            xs += [start_s, start_s, None]
            ys += [base - half, base + half, None]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": TRACE_COLOUR, "width": 1.2},
        hoverinfo="skip",
        showlegend=False,
    )


def _settings_text(paper: Paper, filter_text: str | None, record: ECGRecord, shown_s: float) -> str:
    parts = [f"{paper.speed_mm_s:g} mm/s", f"{paper.gain_mm_mv:g} mm/mV"]
    parts.append(f"Filter: {filter_text}" if filter_text else "Filter: none (raw signal)")
    parts.append(f"{record.fs_hz:g} Hz")
    step_text = display_step_text(record.fs_hz)
    if step_text:
        parts.append(step_text)
    if record.duration_s > shown_s + 1e-9:
        parts.append(f"first {shown_s:g} s of {record.duration_s:.1f} s shown")
    return " · ".join(parts)


def plot_ecg_paper(
    record: ECGRecord,
    *,
    layout: Layout = "3x4",
    speed_mm_s: float = 25,
    gain_mm_mv: float = 10,
    cleaned: ECGRecord | None = None,
    overlay_raw: bool = False,
    r_peaks_s: dict[str, np.ndarray] | None = None,
    title: str | None = None,
    filter_text: str | None = None,
    calibration_pulses: tuple[CalibrationPulse, ...] | None = None,
) -> go.Figure:
    """Draw a record on standard ECG paper (3 x 4 + lead II rhythm strip, 6 x 2 or 12 x 1).

    Args:
        record: the recording, signal (L, T) in mV.
        layout: "3x4" (2.5 s per lead, I-III | aVR-aVF | V1-V3 | V4-V6, plus a full-length lead II
            rhythm strip), "6x2" (5 s per lead, limb | chest) or "12x1" (every lead, full length).
        speed_mm_s: paper speed in mm/s (25 or 50). gain_mm_mv: gain in mm/mV (5, 10 or 20).
        cleaned: the same recording after filtering; drawn instead of the raw signal.
        overlay_raw: with `cleaned`, also draw the raw signal in grey underneath.
        r_peaks_s: {lead: R-peak times in s}, drawn as markers.
        title: figure title; defaults to the record's source.
        filter_text: the filter in use, printed with the settings as "Filter: ...", e.g.
            "diagnostic 0.05-150 Hz + 50 Hz notch"; None prints "none (raw signal)".
        calibration_pulses: the record's device calibration pulses
            (`signal.calibration.find_calibration_pulses`; None: found here): shaded and
            labelled; one just after the 10-s page is drawn at the end of the last column and
            the rhythm strip.

    Returns:
        The figure. Each signal trace has ``meta = {"lead", "offset_mv", "kind"}`` so a clicked
        point maps back to lead and mV (value - offset_mv); x is the true time in s.

    Raises:
        ECGInputError: when `cleaned` does not match `record`, or the settings are not positive.
    """
    if layout not in _GRID or speed_mm_s <= 0 or gain_mm_mv <= 0:
        raise ECGInputError(
            f"Expected layout 3x4, 6x2 or 12x1 and positive speed and gain; got {layout!r}, "
            f"{speed_mm_s} mm/s, {gain_mm_mv} mm/mV."
        )
    _check_cleaned(record, cleaned)
    paper = Paper(speed_mm_s, gain_mm_mv)
    if calibration_pulses is None:
        calibration_pulses = find_calibration_pulses(record)
    page_s, shown_s = _shown_s(record, calibration_pulses)
    panels = _panels(record, layout, page_s, shown_s)
    n_rows = panels[-1][3] + 1
    row_base = [(n_rows - 1 - r) * ROW_MM * paper.mv_per_mm for r in range(n_rows)]
    bases = [row_base[p[3]] for p in panels]
    traces = [_calibration(row_base, paper), _separators(panels, bases, paper)]
    for panel, base in zip(panels, bases, strict=True):
        if panel[0] in record.lead_names:
            traces += _lead_traces(record, cleaned, overlay_raw, panel, base)
    if r_peaks_s:
        traces.append(_peak_trace(cleaned or record, r_peaks_s, panels, bases))
    fig = go.Figure(data=traces)
    _decorate(fig, record, panels, bases, paper, shown_s, n_rows, title, filter_text)
    _mark_pulses(fig, calibration_pulses, shown_s)
    return fig


def _decorate(
    fig: go.Figure,
    record: ECGRecord,
    panels: list,
    bases: list[float],
    paper: Paper,
    page_s: float,
    n_rows: int,
    title: str | None,
    filter_text: str | None,
) -> None:
    """Axes, lead labels, settings line and a size that keeps the millimetre square."""
    mm_x, mm_y = paper.s_per_mm, paper.mv_per_mm
    x_range = [-CAL_MM * mm_x, page_s]
    y_range = [-0.5 * ROW_MM * mm_y, (n_rows - 0.5) * ROW_MM * mm_y]
    add_paper_axes(fig, paper, x_range, y_range)
    for (name, start_s, _, _), base in zip(panels, bases, strict=True):
        missing = name not in record.lead_names
        fig.add_annotation(
            x=start_s + 1.5 * mm_x,
            y=base + 8 * mm_y,
            text=_lead_label(name, record),
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font={"size": 13, "color": "#b00020" if missing else TRACE_COLOUR},
        )
    fig.add_annotation(
        text=_settings_text(paper, filter_text, record, page_s),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-4,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        font={"size": 12},
    )
    width_mm = (x_range[1] - x_range[0]) * paper.speed_mm_s
    height_mm = n_rows * ROW_MM
    width_px = 1100
    plot_w = width_px - 20
    fig.update_layout(
        title={"text": title if title is not None else record.source, "x": 0.01},
        width=width_px,
        height=int(plot_w * height_mm / width_mm) + 90,
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
        plot_bgcolor="white",
        paper_bgcolor="white",
        showlegend=False,
        dragmode="zoom",
        hovermode="closest",
    )


def plot_caliper_lead(
    shown: ECGRecord,
    lead: str,
    points: tuple[CaliperPoint, ...] = (),
    *,
    filter_text: str | None = None,
    height_px: int = 380,
) -> go.Figure:
    """One lead at full width on the paper grid, every drawn sample clickable, with the calipers.

    Time runs along the whole record; the pink grid is 1 mm / 5 mm at 25 mm/s and 10 mm/mV
    (square millimetres are given up so the lead fills the height). The clicked caliper points
    are drawn as red dots joined by a dashed line, with the reading (`read_calipers`) above.

    Args:
        shown: the record as displayed (raw or display-filtered), signal (L, T) in mV.
        lead: the lead to draw.
        points: 0, 1 or 2 caliper points (s, mV) in this lead.
        filter_text: the display filter, printed in the title ("Filter: ...").
        height_px: figure height in pixels.

    Returns:
        The figure. Trace 0 is the lead, with invisible markers on every drawn sample so a click
        selects a sample (plotly selection event); x is the true time in s, y the value in mV.
    """
    t, v = _segment(shown.lead(lead), shown.fs_hz, 0.0, shown.duration_s, display_step(shown.fs_hz))
    fig = go.Figure(
        go.Scatter(
            x=t,
            y=v,
            mode="lines+markers",
            line={"color": TRACE_COLOUR, "width": 1.2},
            marker={"size": 7, "color": "rgba(0,0,0,0)"},
            selected={"marker": {"color": CALIPER_COLOUR, "size": 9}},
            unselected={"marker": {"opacity": 0}},
            name=lead,
            hovertemplate="%{x:.3f} s, %{y:.2f} mV<extra></extra>",
        )
    )
    if points:
        fig.add_trace(
            go.Scatter(
                x=[p.t_s for p in points],
                y=[p.v_mv for p in points],
                mode="markers+lines",
                marker={"color": CALIPER_COLOUR, "size": 11, "symbol": "circle-open-dot"},
                line={"color": CALIPER_COLOUR, "dash": "dash", "width": 1.5},
                name="caliper points",
                hoverinfo="skip",
            )
        )
    if len(points) == 2:
        fig.add_annotation(
            x=(points[0].t_s + points[1].t_s) / 2,
            y=max(points[0].v_mv, points[1].v_mv),
            yshift=14,
            text=read_calipers(*points).text(),
            showarrow=False,
            font={"size": 13, "color": CALIPER_COLOUR},
            bgcolor="rgba(255,255,255,0.85)",
        )
    low, high = float(np.min(v)), float(np.max(v))
    pad = max(0.2, 0.1 * (high - low))
    add_paper_axes(fig, Paper(25, 10), [0.0, shown.duration_s], [low - pad, high + pad])
    fig.update_yaxes(scaleanchor=None, showticklabels=True, ticksuffix=" mV")
    fig.update_xaxes(showticklabels=True, ticksuffix=" s", ticklabelstep=5)  # a label each 1 s
    fig.update_layout(
        title={"text": f"Lead {lead} · Filter: {filter_text or 'none (raw signal)'}", "x": 0.01},
        height=height_px,
        margin={"l": 60, "r": 10, "t": 40, "b": 30},
        plot_bgcolor="white",
        paper_bgcolor="white",
        showlegend=False,
        dragmode="zoom",
        hovermode="closest",
        clickmode="event+select",
    )
    return fig
