"""The shared sidebar of every page: the disclaimer, and which ECG is in use.

Display only: it reads no session state. `session.set_record` redraws the "ECG in use" slot so the
sidebar follows a record loaded later in the same run.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from mets_core.app.exports import DISCLAIMER
from mets_core.record import ECGRecord


def draw_sidebar() -> DeltaGenerator:
    """Draw the disclaimer and return an empty slot for `show_record_in_use`."""
    with st.sidebar:
        st.caption(DISCLAIMER)
        return st.empty()


def show_record_in_use(slot: DeltaGenerator, record: ECGRecord | None, label: str) -> None:
    """(Re)draw "ECG in use" in `slot`: the label and the record's leads, rate and duration.

    Args:
        slot: the placeholder from `draw_sidebar`; its previous content is replaced.
        record: the session's ECG, or None before one is loaded.
        label: what the user loaded, e.g. "Example: normal ECG".
    """
    # One element, whatever is shown: a slot redrawn with fewer elements than before can keep
    # the extra ones on screen (a failed upload showed "No ECG loaded yet" above the last
    # record's "12 leads · 500 Hz · 10.0 s").
    if record is None:
        slot.caption("No ECG loaded yet.")
    else:
        facts = f"{record.n_leads} leads · {record.fs_hz:g} Hz · {record.duration_s:.1f} s"
        slot.caption(f"**ECG in use:** {label}  \n{facts}")
