"""Thumbnails: one lead of a recording on the pink paper grid, small enough for a list of hits.

`thumbnail_svg` is a pure builder returning one small SVG (the paper grid as two `<pattern>`s,
the trace as one `<polyline>`); `dataset_thumbnail` caches the SVG of a record of a configured
public dataset root (PTB-XL), never of an upload. The search page and the Zero-shot page's
archive panel show one per hit, with `st.image`, so a researcher sees at a glance whether the
nearest ECGs look alike. A static SVG replaced a plotly chart per hit: five plotly thumbnails
cost headless Chromium ~0.56 s of CPU per page draw (results/browser_cost.json).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import streamlit as st

from mets_core.app.paper import MAJOR_COLOUR, MINOR_COLOUR, TRACE_COLOUR, Paper, display_step
from mets_core.data.ptbxl_index import PTBXLIndex
from mets_core.errors import ECGInputError
from mets_core.record import ECGRecord

THUMBNAIL_PAPER = Paper(speed_mm_s=25.0, gain_mm_mv=10.0)  # the standard paper, drawn small
THUMBNAIL_PX_PER_MM = 4.0  # drawing units (px) per mm of paper: 25 mm of height is 100 px
THUMBNAIL_RANGE_MV = (-1.0, 1.5)  # 25 mm of paper: a normal QRS fits, a tall one is clipped
THUMBNAIL_LEADS = ("II", "I", "V1")  # first one the record has: lead II is the rhythm lead
_SVG_NS = "{http://www.w3.org/2000/svg}"


def thumbnail_lead(record: ECGRecord) -> str:
    """The lead a thumbnail shows: the first of `THUMBNAIL_LEADS` present, else the first lead."""
    return next(
        (name for name in THUMBNAIL_LEADS if name in record.lead_names), record.lead_names[0]
    )


def thumbnail_title(lead: str, shown_s: float) -> str:
    """The thumbnail's text alternative: lead, seconds shown and the paper's scale."""
    return (
        f"ECG lead {lead}, first {shown_s:g} s, {THUMBNAIL_PAPER.speed_mm_s:g} mm/s, "
        f"{THUMBNAIL_PAPER.gain_mm_mv:g} mm/mV"
    )


def thumbnail_svg(record: ECGRecord, duration_s: float = 10.0) -> str:
    """The first `duration_s` of one lead on 25 mm/s, 10 mm/mV paper, baseline-centred, as SVG.

    The drawing is `THUMBNAIL_PX_PER_MM` px per mm of paper: 1 mm minor and 5 mm major pink
    lines (two `<pattern>`s, 0 mV and 0 s on a major line), the trace as one `<polyline>`
    (points rounded to 0.1 px, clipped to `THUMBNAIL_RANGE_MV`, every `display_step`-th sample),
    the lead name in the top-left corner and a `<title>` (`thumbnail_title`). Text is escaped.

    Args:
        record: signal (L, T) in mV at `record.fs_hz`.
        duration_s: seconds shown from the start (fewer if the record is shorter).

    Returns:
        SVG markup, `<svg ...>...</svg>`, width (shown s x 25 mm) and height 25 mm in px.

    Raises:
        ECGInputError: for a recording with no samples.
    """
    if record.n_samples == 0:
        raise ECGInputError("The recording has no samples to draw.")
    lead = thumbnail_lead(record)
    stop = min(record.n_samples, int(round(duration_s * record.fs_hz)))
    step = display_step(record.fs_hz)
    samples = np.asarray(record.lead(lead)[:stop:step], dtype=np.float64)
    samples = samples - float(np.median(samples))  # centre the baseline without filtering
    low, high = THUMBNAIL_RANGE_MV
    px_per_s = THUMBNAIL_PAPER.speed_mm_s * THUMBNAIL_PX_PER_MM
    px_per_mv = THUMBNAIL_PAPER.gain_mm_mv * THUMBNAIL_PX_PER_MM
    shown_s = stop / record.fs_hz
    width, height = shown_s * px_per_s, (high - low) * px_per_mv
    x_px = np.arange(0, stop, step) / record.fs_hz * px_per_s
    y_px = (high - np.clip(samples, low, high)) * px_per_mv
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(x_px, y_px, strict=True))
    title = escape(thumbnail_title(lead, round(shown_s, 2)))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.1f}" height="{height:.1f}" '
        f'viewBox="0 0 {width:.1f} {height:.1f}" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        f"<defs>{_grid_patterns(high * px_per_mv)}</defs>"
        '<rect width="100%" height="100%" fill="white"/>'
        '<rect width="100%" height="100%" fill="url(#minor)"/>'
        '<rect width="100%" height="100%" fill="url(#major)"/>'
        f'<polyline points="{points}" fill="none" stroke="{TRACE_COLOUR}" stroke-width="1.2" '
        'stroke-linejoin="round" vector-effect="non-scaling-stroke"/>'
        f'<text x="6" y="22" font-family="sans-serif" font-size="20" fill="{TRACE_COLOUR}">'
        f"{escape(lead)}</text></svg>"
    )


def _grid_patterns(zero_mv_y_px: float) -> str:
    """1 mm and 5 mm pattern tiles, each drawing its cell's left and top line; y of 0 mV aligned."""
    tiles = []
    for name, mm, colour, line_px in (
        ("minor", 1, MINOR_COLOUR, 0.6),
        ("major", 5, MAJOR_COLOUR, 1),
    ):
        size = mm * THUMBNAIL_PX_PER_MM
        tiles.append(
            f'<pattern id="{name}" patternUnits="userSpaceOnUse" width="{size:g}" '
            f'height="{size:g}" y="{zero_mv_y_px % size:g}">'
            f'<rect width="{size:g}" height="{line_px:g}" fill="{colour}"/>'
            f'<rect width="{line_px:g}" height="{size:g}" fill="{colour}"/></pattern>'
        )
    return "".join(tiles)


def svg_title(svg: str) -> str:
    """The `<title>` text of a thumbnail's SVG (its text alternative), "" if it has none."""
    title = ElementTree.fromstring(svg).find(f"{_SVG_NS}title")
    return "" if title is None or title.text is None else title.text


@st.cache_data(max_entries=256, show_spinner=False)
def dataset_thumbnail(root: str, ecg_id: int) -> str:
    """SVG thumbnail of PTB-XL record `ecg_id` under the configured root `root` (100 Hz file).

    Cached across sessions: these are records of a public dataset folder the operator named in
    the configuration, not uploads.

    Raises:
        DataError: the record cannot be read.
    """
    from mets_core.data.ptbxl import read_ptbxl_signal

    index = _ptbxl_index(root)
    return thumbnail_svg(read_ptbxl_signal(index.root, index.row(int(ecg_id))))


@st.cache_resource(max_entries=4, show_spinner=False)
def _ptbxl_index(root: str) -> PTBXLIndex:
    """The PTB-XL metadata table of a configured root, parsed once per server."""
    from mets_core.data.ptbxl import load_ptbxl_index

    return load_ptbxl_index(Path(root))
