"""Thumbnails: one lead of a recording on the pink paper grid, small enough for a list of hits.

`plot_thumbnail` is a pure builder returning `go.Figure`; `dataset_thumbnail` caches the figure
of a record of a configured public dataset root (PTB-XL), never of an upload. The search page
shows one per hit so a researcher sees at a glance whether the nearest ECGs look alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from mets_core.app.paper import TRACE_COLOUR, Paper, add_paper_axes, display_step
from mets_core.data.ptbxl_index import PTBXLIndex
from mets_core.errors import ECGInputError
from mets_core.record import ECGRecord

THUMBNAIL_PAPER = Paper(speed_mm_s=25.0, gain_mm_mv=10.0)  # the standard paper, drawn small
THUMBNAIL_HEIGHT_PX = 110
THUMBNAIL_RANGE_MV = (-1.0, 1.5)  # 25 mm of paper: a normal QRS fits, a tall one is clipped
THUMBNAIL_LEADS = ("II", "I", "V1")  # first one the record has: lead II is the rhythm lead


def thumbnail_lead(record: ECGRecord) -> str:
    """The lead a thumbnail shows: the first of `THUMBNAIL_LEADS` present, else the first lead."""
    return next(
        (name for name in THUMBNAIL_LEADS if name in record.lead_names), record.lead_names[0]
    )


def plot_thumbnail(record: ECGRecord, duration_s: float = 10.0) -> go.Figure:
    """The first `duration_s` of one lead on 25 mm/s, 10 mm/mV paper, baseline-centred.

    Args:
        record: signal (L, T) in mV at `record.fs_hz`.
        duration_s: seconds shown from the start.

    Returns:
        A figure `THUMBNAIL_HEIGHT_PX` high, x in s, y in mV, with the lead name in a corner.

    Raises:
        ECGInputError: for a recording with no samples.
    """
    if record.n_samples == 0:
        raise ECGInputError("The recording has no samples to draw.")
    lead = thumbnail_lead(record)
    stop = min(record.n_samples, int(round(duration_s * record.fs_hz)))
    step = display_step(record.fs_hz)
    samples = np.asarray(record.lead(lead)[:stop:step], dtype=np.float32)
    samples = samples - float(np.median(samples))  # centre the baseline without filtering
    low, high = THUMBNAIL_RANGE_MV
    time_s = np.arange(0, stop, step) / record.fs_hz
    fig = go.Figure(
        go.Scatter(
            x=time_s,
            y=np.clip(samples, low, high),
            mode="lines",
            line={"color": TRACE_COLOUR, "width": 1},
            hoverinfo="skip",
        )
    )
    add_paper_axes(fig, THUMBNAIL_PAPER, [0.0, stop / record.fs_hz], [low, high])
    fig.add_annotation(
        x=0.0, y=high, text=lead, showarrow=False, xanchor="left", yanchor="top", font={"size": 10}
    )
    fig.update_layout(
        height=THUMBNAIL_HEIGHT_PX,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        plot_bgcolor="white",
        showlegend=False,
        dragmode=False,
    )
    return fig


@st.cache_data(max_entries=256, show_spinner=False)
def dataset_thumbnail(root: str, ecg_id: int) -> go.Figure:
    """Thumbnail of PTB-XL record `ecg_id` under the configured root `root` (100 Hz file).

    Cached across sessions: these are records of a public dataset folder the operator named in
    the configuration, not uploads.

    Raises:
        DataError: the record cannot be read.
    """
    from mets_core.data.ptbxl import read_ptbxl_signal

    index = _ptbxl_index(root)
    return plot_thumbnail(read_ptbxl_signal(index.root, index.row(int(ecg_id))))


@st.cache_resource(max_entries=4, show_spinner=False)
def _ptbxl_index(root: str) -> PTBXLIndex:
    """The PTB-XL metadata table of a configured root, parsed once per server."""
    from mets_core.data.ptbxl import load_ptbxl_index

    return load_ptbxl_index(Path(root))
