"""The reading as files: a vector PDF (one page, true scale) and the same page as a PNG."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import matplotlib
from matplotlib.figure import Figure

from mets_core.reading.content import TITLE, PrintSettings, build_reading
from mets_core.reading.page import draw_reading
from mets_core.record import ECGRecord
from mets_core.signal.measurements import Measurements
from mets_core.zeroshot.rank import Ranking

PNG_DPI = 150  # A4 landscape at 150 dpi: 1754 x 1240 px, the tracing sharp on a screen
# TrueType (42) instead of Type 3 fonts: text in the PDF stays selectable and searchable.
_RC = {"pdf.fonttype": 42, "font.family": "DejaVu Sans"}
# Fixed metadata: the PDF carries no file name, no patient field and no machine path.
_PDF_METADATA = {"Title": TITLE, "Author": None, "Subject": None, "Creator": "METS"}


@dataclass(frozen=True)
class ReadingFiles:
    """The rendered reading: `pdf` and `png` bytes of the same single page."""

    pdf: bytes
    png: bytes


def figure_to_pdf(fig: Figure) -> bytes:
    """One page, the figure's exact size (never cropped, so the tracing stays at true scale)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="pdf", metadata=_PDF_METADATA)
    return buffer.getvalue()


def figure_to_png(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """The same page as a PNG at `dpi` dots per inch."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": "METS"})
    return buffer.getvalue()


def render_reading(
    record: ECGRecord,
    ranking: Ranking,
    *,
    label: str,
    settings: PrintSettings | None = None,
    include_patient: bool = False,
    read_at: datetime | None = None,
    measurements: Measurements | None = None,
    png_dpi: int = PNG_DPI,
) -> ReadingFiles:
    """Build, draw and render the one-page reading of `record` and its `ranking`.

    Args:
        record: the ECG that was ranked (signal (L, T) in mV).
        ranking: its `zeroshot.rank.rank` result.
        label: neutral source label, e.g. "Upload 1, GE MUSE XML" (not the file name).
        settings: speed, gain, filter, paper (default 25 mm/s, 10 mm/mV, diagnostic, A4).
        include_patient: print the file's patient identifiers (off by default).
        read_at: time of the reading (default now). measurements: reuse computed values.
        png_dpi: resolution of the PNG.

    Returns:
        ReadingFiles with the PDF (vector, true scale) and PNG bytes.

    Raises:
        ECGInputError: for print settings a printout does not offer.
    """
    reading = build_reading(
        record,
        ranking,
        label=label,
        settings=settings,
        include_patient=include_patient,
        read_at=read_at,
        measurements=measurements,
    )
    with matplotlib.rc_context(_RC):
        fig = draw_reading(record, reading)
    return ReadingFiles(figure_to_pdf(fig), figure_to_png(fig, png_dpi))
