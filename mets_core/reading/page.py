"""The printed page: a matplotlib Figure the size of the paper, the tracing at true scale.

The page is A4 or US-letter landscape. The tracing (3 x 4 + a lead II rhythm strip, the paper
layout of the app's signal view) sits on a 1 mm / 5 mm grid whose axes are placed in millimetres
on the page, so 1 s of signal is exactly `speed_mm_s` mm and 1 mV exactly `gain_mm_mv` mm when the
PDF is printed at 100 % (no "fit to page"). Above the tracing: the measurements, the ranking with
its cautions and caveats; below it: the settings and the weights.

Only `matplotlib.figure.Figure` is used (never pyplot), so drawing keeps no global state and is
safe in a server that renders pages for several users at once.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace

import numpy as np
import numpy.typing as npt
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from mets_core.reading.content import (
    PAPER_SIZES_MM,
    TITLE,
    PrintSettings,
    Reading,
    shown_seconds,
)
from mets_core.record import ECGRecord
from mets_core.signal.display_filter import filter_for_display

MM_PER_INCH = 25.4
PT_TO_MM = 25.4 / 72.0
MARGIN_MM = 8.0  # paper edge to the first text line and to the footer
CAL_MM = 10.0  # paper before each row's signal, holding the 1 mV calibration pulse
ROW_MM = 30.0  # height of one tracing row
BASELINE_MM = 17.0  # row top to its baseline (more room above: most QRS complexes point up)
TRACE_WIDTH_MM = 250.0  # paper for the signal itself (10 s at 25 mm/s)
FOOTER_MM = 8.0  # grid bottom to the page's bottom margin: two lines of settings
MINOR_COLOUR, MAJOR_COLOUR = "#f4c7c7", "#e29393"  # 1 mm and 5 mm lines, light enough to print
TRACE_COLOUR, WARN_COLOUR, MUTED_COLOUR = "#000000", "#b00020", "#444444"
MAX_DRAWN_HZ = 1000.0  # above this, every n-th sample is drawn (print resolution, not analysis)
ROWS_3X4 = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
N_ROWS = len(ROWS_3X4) + 1  # the 3 x 4 rows and the rhythm strip
TEXT_PT, SMALL_PT, HEAD_PT = 7.0, 6.2, 8.0
MAX_PRINTED_CANDIDATES = 8  # the rest are counted, not listed (the app and `mets rank` list all)
CUT_TEXT = "… (more than fits on one page: see the app or `mets rank`)"


def draw_reading(record: ECGRecord, reading: Reading) -> Figure:
    """Draw the one-page reading: header, measurements, ranking, cautions, tracing, footer.

    Args:
        record: the ECG that was read (signal (L, T) in mV); drawn with `reading.settings`.
        reading: the page's content (`reading.content.build_reading`).

    Returns:
        A Figure of the paper's size in inches (A4 landscape: 11.69 x 8.27), with the tracing
        axes placed so that 1 s is `speed_mm_s` mm and 1 mV is `gain_mm_mv` mm on the page.
    """
    width_mm, height_mm = PAPER_SIZES_MM[reading.settings.paper]
    fig = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), facecolor="white")
    page = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    page.set_xlim(0.0, width_mm)
    page.set_ylim(height_mm, 0.0)  # millimetres from the top-left corner, as on paper
    page.axis("off")
    left_mm = (width_mm - CAL_MM - TRACE_WIDTH_MM) / 2.0
    grid_top_mm = height_mm - MARGIN_MM - FOOTER_MM - N_ROWS * ROW_MM
    _draw_header(page, reading, left_mm, width_mm - left_mm)
    _draw_text_block(page, reading, left_mm, width_mm - left_mm, grid_top_mm - 2.0)
    grid_bottom_mm = _draw_tracing(fig, record, reading.settings, left_mm, grid_top_mm)
    _draw_footer(page, reading, left_mm, width_mm - left_mm, grid_bottom_mm, height_mm)
    return fig


# --- text -------------------------------------------------------------------------------------


def _line_mm(size_pt: float) -> float:
    return 1.22 * size_pt * PT_TO_MM


def _wrap(text: str, width_mm: float, size_pt: float, bold: bool = False) -> list[str]:
    """Wrap to a column: DejaVu Sans averages about 0.5 em per character (bold: 0.6 em)."""
    chars = max(10, int(width_mm / ((0.6 if bold else 0.5) * size_pt * PT_TO_MM)))
    return textwrap.wrap(text, chars) or [""]


class _Column:
    """Lines of text flowing down a column of the page; stops (with an ellipsis) at `bottom_mm`."""

    def __init__(self, page, x_mm: float, y_mm: float, width_mm: float, bottom_mm: float):
        self.page, self.x, self.y, self.width, self.bottom = page, x_mm, y_mm, width_mm, bottom_mm
        self.full = False

    def fits(self, size_pt: float, lines: int = 1) -> bool:
        return self.y + lines * _line_mm(size_pt) <= self.bottom

    def text(self, text: str, size_pt: float = TEXT_PT, indent_mm: float = 0.0, **style) -> None:
        bold = style.get("fontweight") == "bold"
        for line in _wrap(text, self.width - indent_mm, size_pt, bold):
            self.cells([(0.0 + indent_mm, line)], size_pt, **style)

    def cells(self, cells: list[tuple[float, str]], size_pt: float = TEXT_PT, **style) -> None:
        """One line of cells at x offsets (mm from the column's left; negative: right-aligned)."""
        if self.full:
            return
        if not self.fits(size_pt, 2):  # keep the last line for the ellipsis
            self.page.text(
                self.x,
                self.y,
                CUT_TEXT,
                fontsize=size_pt,
                va="top",
                color=MUTED_COLOUR,
                style="italic",
            )
            self.full = True
            return
        for offset, value in cells:
            x, align = (self.x + offset, "left") if offset >= 0 else (self.x - offset, "right")
            self.page.text(x, self.y, value, fontsize=size_pt, va="top", ha=align, **style)
        self.y += _line_mm(size_pt)

    def gap(self, mm: float = 1.2) -> None:
        self.y += mm


def _draw_header(page, reading: Reading, left_mm: float, right_mm: float) -> None:
    y = MARGIN_MM
    page.text(left_mm, y, TITLE, fontsize=11, fontweight="bold", va="top")
    page.text(
        right_mm, y, f"Read {reading.read_at_text}", fontsize=TEXT_PT + 1, va="top", ha="right"
    )
    y += 5.2
    weights = f"Weights {reading.weights_id}"
    weights += "" if reading.trained else "  RANDOMLY INITIALISED, NOT TRAINED: meaningless output"
    page.text(
        left_mm, y, f"Source: {reading.label}  ·  {reading.record_line}", fontsize=TEXT_PT, va="top"
    )
    page.text(
        right_mm,
        y,
        weights,
        fontsize=TEXT_PT,
        va="top",
        ha="right",
        color=TRACE_COLOUR if reading.trained else WARN_COLOUR,
    )
    if reading.patient:
        patient = "  ·  ".join(f"{key}: {value}" for key, value in reading.patient)
        page.text(
            left_mm,
            y + 3.6,
            f"Patient (from the file, printed on request): {patient}",
            fontsize=TEXT_PT,
            va="top",
        )


def _draw_text_block(page, reading: Reading, left_mm: float, right_mm: float, bottom_mm: float):
    """Three columns: measurements | ranking | cautions, caveats, file statements, notes."""
    top = MARGIN_MM + (16.5 if reading.patient else 13.0)
    widths = (72.0, 100.0)
    x_rank = left_mm + widths[0] + 5.0
    x_notes = x_rank + widths[1] + 5.0
    _measurement_column(_Column(page, left_mm, top, widths[0], bottom_mm), reading)
    _ranking_column(_Column(page, x_rank, top, widths[1], bottom_mm), reading)
    _caution_column(_Column(page, x_notes, top, right_mm - x_notes, bottom_mm), reading)


def _measurement_column(column: _Column, reading: Reading) -> None:
    column.cells(
        [(0.0, "Measurements"), (-50.0, "here"), (-72.0, "file")], HEAD_PT, fontweight="bold"
    )
    printed: set[str] = set()  # a reason shared by several rows is printed once, at the first
    for row in reading.measurements:
        column.cells([(0.0, row.name), (-50.0, row.computed), (-72.0, row.stated)])
        for which, remark in (("not computed", row.why_missing), ("file value", row.stated_note)):
            if remark and f"{which}: {remark}" not in printed:
                printed.add(f"{which}: {remark}")
                column.text(f"{which}: {remark}", SMALL_PT, indent_mm=3.0, color=MUTED_COLOUR)
    column.text(reading.measured_on, SMALL_PT, color=MUTED_COLOUR)


def _ranking_column(column: _Column, reading: Reading) -> None:
    column.cells(
        [(0.0, "Zero-shot ranking (similarity, not a diagnosis)")], HEAD_PT, fontweight="bold"
    )
    if reading.abstain_reason:
        column.text(
            f"NOT READ AS AN ECG: {reading.abstain_reason} The ranking is shown for "
            "inspection only: do not read a diagnosis from it.",
            TEXT_PT,
            color=WARN_COLOUR,
            fontweight="bold",
        )
    has_percentile = any(row.percentile_pct is not None for row in reading.ranking)
    header = [(0.0, "#"), (4.0, "candidate"), (-71.0, "probability"), (-100.0, "cosine")]
    if has_percentile:
        header.insert(3, (-88.0, "above % ref."))
    column.cells(header, TEXT_PT, color=MUTED_COLOUR)
    for row in reading.ranking[:MAX_PRINTED_CANDIDATES]:
        name = row.candidate if len(row.candidate) <= 44 else row.candidate[:43] + "…"
        cells = [
            (0.0, f"{row.rank}."),
            (4.0, name),
            (-71.0, f"{row.probability_pct:.1f} %"),
            (-100.0, f"{row.cosine:+.3f}"),
        ]
        if has_percentile:
            cells.insert(3, (-88.0, f"{row.percentile_pct:.0f} %"))
        column.cells(cells, TEXT_PT, fontweight="bold" if row.rank == 1 else "normal")
    if reading.n_candidates > MAX_PRINTED_CANDIDATES:
        more = reading.n_candidates - MAX_PRINTED_CANDIDATES
        column.text(
            f"… and {more} more candidates ranked lower (listed in the app and by `mets rank`)",
            SMALL_PT,
            color=MUTED_COLOUR,
        )
    column.gap()
    column.text(reading.caveats[0], SMALL_PT, color=MUTED_COLOUR)
    if has_percentile:
        column.text(
            "“above % ref.”: share of the reference ECGs (PTB-XL training folds 1-8) "
            "less similar to the candidate than this ECG.",
            SMALL_PT,
            color=MUTED_COLOUR,
        )


def _caution_column(column: _Column, reading: Reading) -> None:
    column.cells([(0.0, "Cautions")], HEAD_PT, fontweight="bold")
    for caution in reading.cautions or ("None raised for this candidate list.",):
        column.text(f"• {caution}", SMALL_PT)
    column.gap()
    column.text(reading.caveats[-1], TEXT_PT, fontweight="bold")
    if reading.statements:  # before the notes: a clinician reads the device's statements first
        column.gap()
        column.cells(
            [(0.0, "Statements in the file (the recording device's, not METS's)")],
            SMALL_PT,
            fontweight="bold",
        )
        for statement in reading.statements:
            column.text(f"• {statement}", SMALL_PT)
    if reading.notes:
        column.gap()
        column.cells(
            [(0.0, "How the file was read and given to the model")], SMALL_PT, fontweight="bold"
        )
        for note in reading.notes:
            column.text(f"• {note}", SMALL_PT, color=MUTED_COLOUR)


def _draw_footer(page, reading: Reading, left_mm, right_mm, grid_bottom_mm, height_mm) -> None:
    y = grid_bottom_mm + 1.5
    page.text(left_mm, y, reading.settings_line, fontsize=TEXT_PT, va="top")
    settings = reading.settings
    minor = f"{1 / settings.speed_mm_s:g} s, {1 / settings.gain_mm_mv:g} mV"
    page.text(
        left_mm,
        y + _line_mm(TEXT_PT),
        f"Grid 1 mm ({minor}) and 5 mm; 1 mV "
        f"calibration pulse at each row's start. True scale on {reading.settings.paper} "
        "landscape: print at 100 % (no fit to page).",
        fontsize=SMALL_PT,
        va="top",
        color=MUTED_COLOUR,
    )


# --- tracing ----------------------------------------------------------------------------------


def displayed_signal(record: ECGRecord, settings: PrintSettings) -> ECGRecord:
    """The record as printed: filtered with `settings.filter` (the raw record for "raw")."""
    if settings.filter == "raw":
        return record
    shown = filter_for_display(
        record.signal, fs_hz=record.fs_hz, mode=settings.filter, powerline_hz=settings.powerline_hz
    )
    return replace(record, signal=shown)


def _panels(record: ECGRecord, page_s: float) -> list[tuple[str, float, float, int]]:
    """(lead, start_s, stop_s, row): the 3 x 4 layout, then the rhythm strip (lead II)."""
    col_s = page_s / 4.0
    panels = [
        (name, c * col_s, (c + 1) * col_s, r)
        for r, row in enumerate(ROWS_3X4)
        for c, name in enumerate(row)
    ]
    strip = "II" if "II" in record.lead_names else record.lead_names[0]
    return [*panels, (strip, 0.0, page_s, len(ROWS_3X4))]


def _draw_tracing(
    fig: Figure, record: ECGRecord, settings: PrintSettings, left_mm: float, top_mm: float
) -> float:
    """Place the grid axes in millimetres and draw every panel; return the grid's bottom (mm)."""
    width_mm, height_mm = PAPER_SIZES_MM[settings.paper]
    page_s = shown_seconds(record, settings, TRACE_WIDTH_MM)
    panels = _panels(record, page_s)
    grid_w_mm, grid_h_mm = CAL_MM + page_s * settings.speed_mm_s, N_ROWS * ROW_MM
    bottom_mm = top_mm + grid_h_mm
    ax = fig.add_axes(
        (
            left_mm / width_mm,
            1.0 - bottom_mm / height_mm,
            grid_w_mm / width_mm,
            grid_h_mm / height_mm,
        )
    )
    s_per_mm, mv_per_mm = 1.0 / settings.speed_mm_s, 1.0 / settings.gain_mm_mv
    ax.set_xlim(-CAL_MM * s_per_mm, page_s)
    ax.set_ylim(-grid_h_mm * mv_per_mm, 0.0)  # y = 0 at the grid's top edge
    ax.axis("off")
    _draw_grid(ax, grid_w_mm, grid_h_mm, s_per_mm, mv_per_mm)
    shown = displayed_signal(record, settings)
    for name, start_s, stop_s, row in panels:
        base_mv = -(row * ROW_MM + BASELINE_MM) * mv_per_mm
        _draw_panel(ax, shown, name, start_s, stop_s, base_mv, s_per_mm, mv_per_mm)
    for row in range(N_ROWS):
        base_mv = -(row * ROW_MM + BASELINE_MM) * mv_per_mm
        pulse_x = np.array([-10, -8, -8, -3, -3, -1]) * s_per_mm
        pulse_y = base_mv + np.array([0, 0, 1, 1, 0, 0], dtype=float)
        ax.plot(pulse_x, pulse_y, color=TRACE_COLOUR, linewidth=0.7, solid_joinstyle="miter")
    return bottom_mm


def _draw_grid(ax, grid_w_mm: float, grid_h_mm: float, s_per_mm: float, mv_per_mm: float):
    """1 mm minor and 5 mm major lines as two LineCollections (light: printed on white paper)."""
    x0 = -CAL_MM * s_per_mm
    top, bottom = 0.0, -grid_h_mm * mv_per_mm
    for step, colour, width in ((1, MINOR_COLOUR, 0.25), (5, MAJOR_COLOUR, 0.5)):
        xs = [x0 + mm * s_per_mm for mm in range(0, int(round(grid_w_mm)) + 1, step)]
        ys = [-mm * mv_per_mm for mm in range(0, int(round(grid_h_mm)) + 1, step)]
        lines = [((x, bottom), (x, top)) for x in xs]
        lines += [((x0, y), (x0 + grid_w_mm * s_per_mm, y)) for y in ys]
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=width, zorder=0))


def _draw_panel(
    ax,
    shown: ECGRecord,
    name: str,
    start_s: float,
    stop_s: float,
    base_mv: float,
    s_per_mm: float,
    mv_per_mm: float,
) -> None:
    missing = name not in shown.lead_names
    label = f"{name} — missing" if missing else name
    label += " (derived)" if name in shown.derived_leads else ""
    ax.text(
        start_s + 1.0 * s_per_mm,
        base_mv + 9.0 * mv_per_mm,
        label,
        fontsize=8,
        fontweight="bold",
        color=WARN_COLOUR if missing else TRACE_COLOUR,
        va="bottom",
        zorder=3,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.6},
    )
    if start_s > 0:  # a short mark where one lead's column hands over to the next
        ax.plot(
            [start_s, start_s],
            [base_mv - 3 * mv_per_mm, base_mv + 3 * mv_per_mm],
            color=TRACE_COLOUR,
            linewidth=0.7,
        )
    if missing:
        return
    t_s, v_mv = _segment(shown.lead(name), shown.fs_hz, start_s, stop_s)
    ax.plot(
        t_s, v_mv + base_mv, color=TRACE_COLOUR, linewidth=0.65, zorder=2, solid_joinstyle="round"
    )


def _segment(
    x: npt.NDArray[np.float32], fs_hz: float, start_s: float, stop_s: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float32]]:
    step = max(1, int(np.ceil(fs_hz / MAX_DRAWN_HZ)))
    first, last = int(round(start_s * fs_hz)), min(int(round(stop_s * fs_hz)), x.size)
    index = np.arange(first, last, step)
    return index / fs_hz, x[index]
