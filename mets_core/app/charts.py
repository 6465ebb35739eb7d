"""Smaller figures: raw-versus-clean strip, median beats, score bars, lead importance, confusion
(clickable cells), an annotated beat in its window, training history.

Pure builders returning `go.Figure` (never st.*); re-exported by `mets_core.app.plotting`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mets_core.app.paper import RAW_COLOUR, TRACE_COLOUR, Paper, add_paper_axes, display_step
from mets_core.errors import ECGInputError, METSError
from mets_core.leads import STANDARD_12_LEADS
from mets_core.record import ECGRecord, FileMedianBeats

if TYPE_CHECKING:
    from mets_core.zeroshot.explain import TimeImportance

_PAPER = Paper(speed_mm_s=25.0, gain_mm_mv=10.0)


def plot_raw_vs_clean(record: ECGRecord, cleaned: ECGRecord, lead: str) -> go.Figure:
    """One lead, raw (grey) under cleaned (black), full length on 25 mm/s, 10 mm/mV paper.

    Args:
        record: the raw recording, (L, T) mV. cleaned: the same recording after filtering.
        lead: standard lead name to show.

    Returns:
        The figure; x is time in s, y is mV.

    Raises:
        ECGInputError: when the lead is absent or `cleaned` does not match `record`.
    """
    if cleaned.signal.shape != record.signal.shape or cleaned.fs_hz != record.fs_hz:
        raise ECGInputError("The cleaned signal does not match the recording; clean it again.")
    step = display_step(record.fs_hz)
    t = np.arange(0, record.n_samples, step) / record.fs_hz
    raw, clean = record.lead(lead)[::step], cleaned.lead(lead)[::step]
    fig = go.Figure(
        [
            go.Scatter(x=t, y=raw, name="raw", line={"color": RAW_COLOUR, "width": 1.2}),
            go.Scatter(x=t, y=clean, name="cleaned", line={"color": TRACE_COLOUR, "width": 1.2}),
        ]
    )
    low = float(min(raw.min(), clean.min())) - 0.3
    high = float(max(raw.max(), clean.max())) + 0.3
    add_paper_axes(fig, _PAPER, [0.0, record.duration_s], [low, high], tick_labels=True)
    fig.update_layout(
        title=f"Lead {lead}: raw vs cleaned",
        plot_bgcolor="white",
        height=300,
        margin={"l": 40, "r": 10, "t": 40, "b": 30},
        legend={"orientation": "h", "y": 1.12},
        xaxis_title="s",
        yaxis_title="mV",
    )
    return fig


def plot_median_beats(
    medians: dict[str, npt.NDArray[np.float32]],
    fs_hz: float,
    *,
    window_start_s: float = -0.25,
    title: str = "Median beat per lead (aligned on lead II R-peaks)",
) -> go.Figure:
    """Median (representative) beat per lead, 12 small panels on ECG paper (3 rows x 4).

    Args:
        medians: {lead: (W,) mV} from `mets_core.measurements.median_beats`.
        fs_hz: sampling rate in Hz.
        window_start_s: time of the first sample relative to the R-peak (the window start).
        title: the figure title (say where the beats came from).

    Returns:
        The figure; x in s relative to the R-peak (0 = R), y in mV; absent leads say "missing".
    """
    order = [name for name in STANDARD_12_LEADS if name in medians] or list(medians)
    names = list(STANDARD_12_LEADS) if len(order) > 4 else order
    n_cols = 4 if len(names) > 4 else len(names) or 1
    n_rows = -(-len(names) // n_cols) or 1
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=names or None,
        horizontal_spacing=0.03,
        vertical_spacing=0.08,
    )
    values = [v for v in medians.values()] or [np.zeros(1)]
    low = min(float(np.min(v)) for v in values) - 0.2
    high = max(float(np.max(v)) for v in values) + 0.2
    for i, name in enumerate(names):
        row, col = i // n_cols + 1, i % n_cols + 1
        if name in medians:
            t = window_start_s + np.arange(medians[name].size) / fs_hz
            fig.add_trace(
                go.Scatter(
                    x=t, y=medians[name], line={"color": TRACE_COLOUR}, name=name, showlegend=False
                ),
                row=row,
                col=col,
            )
        suffix = "" if i == 0 else str(i + 1)
        end_s = window_start_s + max(v.size for v in values) / fs_hz
        add_paper_axes(fig, _PAPER, [window_start_s, end_s], [low, high], axis_suffix=suffix)
        if name not in medians:
            fig.layout.annotations[i].text = f"{name} — missing"
    fig.update_layout(
        title=title,
        plot_bgcolor="white",
        height=260 * n_rows,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return fig


def plot_file_median_beats(beats: FileMedianBeats) -> go.Figure:
    """The median beats a file stores, on the same paper panels; x = time from the first sample.

    Args:
        beats: `ECGRecord.file_median_beats`, signal (L, W) in mV.
    """
    medians = dict(zip(beats.lead_names, beats.signal, strict=True))
    title = f"Median beats stored in the file ({beats.description}); x: s from the first sample"
    return plot_median_beats(medians, beats.fs_hz, window_start_s=0.0, title=title)


def plot_scores(
    candidates: Sequence[str],
    cosines: Sequence[float],
    probabilities: Sequence[float],
    temperature: float,
    probability_label: str = "probability among these candidates",
) -> go.Figure:
    """Horizontal bars of the ranking: cosine similarity and probability, best on top.

    Args:
        candidates: C candidate diagnoses. cosines: C cosine similarities in [-1, 1].
        probabilities: C softmax values over the candidates (they sum to 1).
        temperature: the softmax temperature used, printed on the figure.
        probability_label: what the probability is (`zeroshot.rank.probability_name`).

    Returns:
        Two side-by-side bar panels sharing the candidate axis.

    Raises:
        METSError: when the three lists differ in length or are empty.
    """
    if not candidates or not len(candidates) == len(cosines) == len(probabilities):
        raise METSError("Expected one cosine and one probability per candidate diagnosis.")
    order = np.argsort(-np.asarray(probabilities, dtype=float), kind="stable")
    names = [candidates[i] for i in order][::-1]  # plotly draws the first category at the bottom
    cos = [float(cosines[i]) for i in order][::-1]
    prob = [float(probabilities[i]) for i in order][::-1]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("cosine similarity", probability_label),
    )
    fig.add_trace(
        go.Bar(
            x=cos,
            y=names,
            orientation="h",
            marker_color="#5b7db1",
            text=[f"{c:.3f}" for c in cos],
            textposition="auto",
        ),
        1,
        1,
    )
    fig.add_trace(
        go.Bar(
            x=prob,
            y=names,
            orientation="h",
            marker_color="#c0504d",
            text=[f"{p:.1%}" for p in prob],
            textposition="auto",
        ),
        1,
        2,
    )
    fig.update_xaxes(range=[0, 1], tickformat=".0%", row=1, col=2)
    fig.update_layout(
        title=f"Similarity ranking (softmax temperature {temperature:g}); not a diagnosis",
        showlegend=False,
        height=120 + 32 * len(names),
        margin={"l": 10, "r": 10, "t": 70, "b": 30},
    )
    return fig


def plot_lead_importance(lead_names: Sequence[str], deltas: Sequence[float]) -> go.Figure:
    """Bars of the score change of the top candidate when each lead is masked.

    Args:
        lead_names: L lead names. deltas: L score changes (score with the lead masked minus the
            full score); negative means the lead supported the candidate.

    Returns:
        A bar chart in lead order; leads that supported the candidate are drawn in red.
    """
    if len(lead_names) != len(deltas):
        raise METSError("Expected one score change per lead.")
    colours = ["#c0504d" if d < 0 else "#8a8a8a" for d in deltas]
    fig = go.Figure(
        go.Bar(
            x=list(lead_names),
            y=list(deltas),
            marker_color=colours,
            text=[f"{d:+.3f}" for d in deltas],
            textposition="outside",
        )
    )
    fig.update_layout(
        title="Score change when each lead is masked (red: lead supported the top candidate)",
        yaxis_title="score change",
        height=320,
        margin={"l": 10, "r": 10, "t": 50, "b": 30},
    )
    return fig


def plot_time_importance(
    record: ECGRecord, importance: TimeImportance, lead: str = "II"
) -> go.Figure:
    """One lead over time above bars of the score change when each segment is masked.

    Args:
        record: the ECG, signal (L, T) in mV. importance: from `explain.time_importance`.
        lead: the lead drawn (the first lead when absent).

    Returns:
        Two rows sharing x in seconds: the lead (mV) and the score changes; segments that
        supported the candidate (negative change) are red.
    """
    name = lead if lead in record.lead_names else record.lead_names[0]
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.06
    )
    time_s = np.arange(record.n_samples) / record.fs_hz
    trace = go.Scatter(
        x=time_s,
        y=record.lead(name),
        line={"color": TRACE_COLOUR, "width": 1},
        name=name,
        showlegend=False,
    )
    fig.add_trace(trace, row=1, col=1)
    centres = importance.starts_s + importance.segment_s / 2.0
    colours = ["#c0504d" if d < 0 else "#8a8a8a" for d in importance.deltas]
    fig.add_trace(
        go.Bar(
            x=centres,
            y=importance.deltas,
            width=importance.segment_s * 0.9,
            marker_color=colours,
            showlegend=False,
        ),
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text=f"{name} (mV)", row=1, col=1)
    fig.update_yaxes(title_text="score change", row=2, col=1)
    fig.update_xaxes(title_text="time (s)", row=2, col=1)
    fig.update_layout(
        title="Score change when each second is masked in every lead (red: it "
        "supported the top candidate)",
        height=420,
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 50, "b": 30},
    )
    return fig


def plot_confusion_matrix(matrix: npt.ArrayLike, class_names: Sequence[str]) -> go.Figure:
    """Confusion matrix: counts as text, colour by row-normalised fraction (recall per class).

    Args:
        matrix: (K, K) counts, rows = reference class, columns = predicted class.
        class_names: K class names.

    Returns:
        A heatmap with the reference on the y axis (first class on top).
    """
    counts = np.asarray(matrix, dtype=float)
    if counts.shape != (len(class_names), len(class_names)):
        raise METSError(
            f"Expected a {len(class_names)} x {len(class_names)} matrix; got {counts.shape}."
        )
    totals = counts.sum(axis=1, keepdims=True)
    fraction = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    fig = go.Figure(
        go.Heatmap(
            z=fraction,
            x=list(class_names),
            y=list(class_names),
            colorscale="Blues",
            zmin=0,
            zmax=1,
            text=counts.astype(int).astype(str),
            texttemplate="%{text}",
            hoverinfo="skip",  # the cell markers below carry the hover and the click
            colorbar={"title": "row fraction"},
        )
    )
    # One invisible square marker per cell: heatmaps cannot be selected, markers can, so a click
    # on a cell selects (reference, predicted) for the page (st.plotly_chart on_select).
    rows, columns = np.meshgrid(np.arange(len(class_names)), np.arange(len(class_names)))
    names = np.asarray(class_names, dtype=object)
    fig.add_trace(
        go.Scatter(
            x=names[columns.T.ravel()].tolist(),  # plain lists: the browser reads them as is
            y=names[rows.T.ravel()].tolist(),
            mode="markers",
            marker={"symbol": "square", "size": 34, "opacity": 0.0, "color": "#1f5f8b"},
            customdata=np.column_stack([counts.ravel(), fraction.ravel()]).tolist(),
            hovertemplate="reference %{y}<br>predicted %{x}<br>%{customdata[0]:.0f} records "
            "(%{customdata[1]:.0%} of row)<br>click to list them<extra></extra>",
            showlegend=False,
            name="cells",
        )
    )
    fig.update_yaxes(autorange="reversed", title="reference")
    fig.update_xaxes(title="predicted")
    fig.update_layout(title="Confusion matrix", height=150 + 40 * len(class_names))
    return fig


def plot_beat_window(record: ECGRecord, beat_s: float, label: str) -> go.Figure:
    """Every lead of a short window, one row each, with the annotated beat marked.

    Args:
        record: the window, signal (L, T) in mV (e.g. 5 s of MIT-BIH around one beat).
        beat_s: time of the annotated beat in the window, s.
        label: what the mark says, e.g. "annotated beat: A".

    Returns:
        L stacked line plots sharing the time axis, a dashed line and label at `beat_s`.
    """
    n_leads = len(record.lead_names)
    fig = make_subplots(rows=n_leads, cols=1, shared_xaxes=True, vertical_spacing=0.04)
    time_s = np.arange(record.signal.shape[1]) / record.fs_hz
    for row, name in enumerate(record.lead_names, start=1):
        fig.add_trace(
            go.Scatter(
                x=time_s,
                y=record.signal[row - 1],
                name=name,
                mode="lines",
                line={"color": TRACE_COLOUR, "width": 1},
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(title=f"{name} (mV)", row=row, col=1)
        fig.add_vline(x=beat_s, line_dash="dash", line_color="#c53948", row=row, col=1)
    fig.add_annotation(
        x=beat_s, y=1.0, yref="paper", text=label, showarrow=False, font={"color": "#c53948"}
    )
    fig.update_xaxes(title="time in the window (s)", row=n_leads, col=1)
    fig.update_layout(height=140 + 160 * n_leads, showlegend=False, margin={"t": 40})
    return fig


def plot_training_history(
    history: pd.DataFrame, kept_epoch: int | None = None, metric: str = "val_auroc"
) -> go.Figure:
    """Training curves: losses on the left axis, the fold-9 AUROC on the right, one point an epoch.

    Args:
        history: one row per epoch with `epoch` and any of train_loss, val_loss, `metric`
            (`mets_core.evaluate.model_card.training_history`).
        kept_epoch: the epoch whose weights were kept, marked with a dashed line.
        metric: the fold-9 validation column to draw on the right axis.

    Returns:
        A line chart; a column the history lacks is left out.

    Raises:
        METSError: when `history` has no epoch column or no row.
    """
    if history.empty or "epoch" not in history.columns:
        raise METSError("The weights carry no training history to plot.")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    lines = (("train_loss", "training loss", False), ("val_loss", "fold-9 loss", False))
    for column, name, right in (*lines, (metric, "fold-9 macro AUROC", True)):
        if column in history.columns and history[column].notna().any():
            fig.add_trace(
                go.Scatter(x=history["epoch"], y=history[column], name=name, mode="lines+markers"),
                secondary_y=right,
            )
    if kept_epoch is not None:
        fig.add_vline(x=kept_epoch, line_dash="dash", line_color="#64748b")
        fig.add_annotation(x=kept_epoch, y=1.0, yref="paper", text="kept", showarrow=False)
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(title="contrastive loss", secondary_y=False)
    fig.update_yaxes(title="macro AUROC", secondary_y=True)
    fig.update_layout(title="Training history", height=360, legend={"orientation": "h", "y": -0.25})
    return fig
