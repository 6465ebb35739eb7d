"""ECG paper: the pink 1 mm / 5 mm grid and square-millimetre axes shared by every ECG figure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

MINOR_COLOUR, MAJOR_COLOUR = "#f6c6c6", "#e88a8a"  # 1 mm and 5 mm lines of ECG paper
TRACE_COLOUR, RAW_COLOUR, PEAK_COLOUR = "#111111", "#9a9a9a", "#1f5fbf"
MAX_DISPLAY_HZ = 500.0  # above this, every n-th sample is drawn (display only)


@dataclass(frozen=True)
class Paper:
    """Paper settings: speed (mm/s) and gain (mm/mV); 1 mm is `s_per_mm` s and `mv_per_mm` mV."""

    speed_mm_s: float
    gain_mm_mv: float

    @property
    def s_per_mm(self) -> float:
        return 1.0 / self.speed_mm_s

    @property
    def mv_per_mm(self) -> float:
        return 1.0 / self.gain_mm_mv


def add_paper_axes(
    fig: go.Figure,
    paper: Paper,
    x_range: list[float],
    y_range: list[float],
    *,
    axis_suffix: str = "",
    tick_labels: bool = False,
) -> None:
    """Pink 1 mm / 5 mm grid from axis gridlines, and a square millimetre via scaleanchor.

    Plotly's major gridlines (dtick = 5 mm) and minor gridlines (`minor.dtick` = 1 mm) draw the
    whole grid without a single shape or trace, so the figure stays light.

    Args:
        fig: the figure to style.
        paper: speed and gain.
        x_range: [start, end] in s. y_range: [bottom, top] in mV.
        axis_suffix: "" for the first subplot, "2", "3", ... for the others.
        tick_labels: show time/mV tick labels (small panels) or not (the paper sheet).
    """
    common = {
        "showticklabels": tick_labels,
        "zeroline": False,
        "ticks": "",
        "showline": False,
        "constrain": "domain",
        "tick0": 0,
        "gridcolor": MAJOR_COLOUR,
        "gridwidth": 1,
    }
    fig.layout["xaxis" + axis_suffix].update(
        range=x_range,
        dtick=5 * paper.s_per_mm,
        minor={"dtick": paper.s_per_mm, "gridcolor": MINOR_COLOUR, "showgrid": True},
        **common,
    )
    fig.layout["yaxis" + axis_suffix].update(
        range=y_range,
        dtick=5 * paper.mv_per_mm,
        minor={"dtick": paper.mv_per_mm, "gridcolor": MINOR_COLOUR, "showgrid": True},
        scaleanchor="x" + axis_suffix,
        scaleratio=paper.gain_mm_mv / paper.speed_mm_s,
        **common,
    )


def display_step(fs_hz: float) -> int:
    """Sample stride for drawing (display only): 1 up to `MAX_DISPLAY_HZ`, then every n-th."""
    return max(1, int(np.ceil(fs_hz / MAX_DISPLAY_HZ)))


def ordinal(n: int) -> str:
    """English ordinal of a positive integer: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def display_step_text(fs_hz: float) -> str | None:
    """ "display: every 2nd sample" when drawing skips samples (`display_step`), else None."""
    step = display_step(fs_hz)
    return f"display: every {ordinal(step)} sample" if step > 1 else None
