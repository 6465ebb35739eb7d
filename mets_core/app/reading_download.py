"""The printable reading in the app: PDF and PNG downloads of one page (`mets_core.reading`)."""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from mets_core.app import keys, ui
from mets_core.errors import METSError
from mets_core.reading import PrintSettings, ReadingFiles, render_reading
from mets_core.reading.content import PAPER_SIZES_MM
from mets_core.record import ECGRecord
from mets_core.zeroshot.rank import Ranking

PATIENT_WARNING = (
    "This printout carries the patient's identifiers: store and share it as a patient record."
)


def show_reading_downloads(record: ECGRecord, ranking: Ranking, label: str) -> None:
    """Offer the one-page reading of `ranking` as PDF and PNG, patient fields only on request.

    The page is drawn only once the user asks for it (a toggle, which stays on for later
    rankings), then once per ranking and choice, and kept in this session (it holds the
    tracing: patient data, never a shared cache). The downloads are named ``mets_reading.*``,
    never after the uploaded file.

    Args:
        record: the ECG that was ranked (the session's record).
        ranking: its ranking, as shown on the page.
        label: the neutral source label the app shows, e.g. "Upload 1, GE MUSE XML".
    """
    st.subheader("Printable reading")
    st.caption(
        "One page: the tracing at true scale (25 mm/s, 10 mm/mV, diagnostic filter 0.05-150 Hz), "
        "the measurements, this ranking with its cautions and caveats, and the weights. Print the "
        "PDF at 100 % (no fit to page). Patient identifiers are left out unless you include them."
    )
    # Opt-in: drawing the page takes a few seconds of CPU, which every ranking would pay otherwise.
    if not st.toggle("Prepare the printable reading (PDF and PNG)", key=keys.W_READING_PREPARE):
        return
    col_paper, col_patient = st.columns([1, 3])
    paper = col_paper.radio(
        "Paper", list(PAPER_SIZES_MM), horizontal=True, key=keys.W_READING_PAPER
    )
    include_patient = False
    if record.patient_fields:
        names = ", ".join(record.patient_fields)
        include_patient = col_patient.checkbox(
            f"Include the patient identifiers from the file ({names})", key=keys.W_READING_PATIENT
        )
    settings = PrintSettings(paper=paper)
    name = (
        f"reading/{_ranking_id(ranking)}/{paper}/{'patient' if include_patient else 'no-patient'}"
    )
    try:
        files: ReadingFiles = ui.for_record(
            record,
            name,
            lambda: render_reading(
                record, ranking, label=label, settings=settings, include_patient=include_patient
            ),
        )
    except METSError as error:
        ui.show_error_and_stop(error)
    col_pdf, col_png = st.columns(2)
    # on_click="ignore": a download must not rerun the page (see the ranking downloads)
    col_pdf.download_button(
        "Download the reading (PDF)",
        files.pdf,
        "mets_reading.pdf",
        "application/pdf",
        key=keys.W_READING_PDF,
        on_click="ignore",
    )
    col_png.download_button(
        "Download the reading (PNG)",
        files.png,
        "mets_reading.png",
        "image/png",
        key=keys.W_READING_PNG,
        on_click="ignore",
    )
    if include_patient:  # below the buttons: once shown, the files carry the identifiers
        st.caption(PATIENT_WARNING)


def _ranking_id(ranking: Ranking) -> str:
    """A content hash of the ranking: a new ranking (other candidates, weights) renders anew."""
    text = json.dumps(ranking.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
