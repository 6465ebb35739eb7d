"""Streamlit glue for the METS app: the only `mets_core` module that imports streamlit.

It holds the session-state keys, reads the app's settings from the environment (METS_WEIGHTS,
METS_DEVICE, METS_DATA_DIR), loads the model once per server process, and offers small helpers
that every page uses. Per-patient data (records, rankings) lives in `st.session_state` only, never
in a cache shared between users.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from mets_core.errors import METSError
from mets_core.record import ECGRecord

# --- session-state keys (per user, never shared) ---
KEY_RECORD = "mets.record"  # the ECGRecord in use
KEY_RECORD_LABEL = "mets.record_label"  # what the user loaded, e.g. "Example: normal ECG"
KEY_REFERENCE = "mets.reference"  # reference report/label of a dataset record, if known
KEY_RANKING = "mets.ranking"  # the last Ranking for KEY_RECORD
KEY_RANKING_SETTINGS = "mets.ranking_settings"  # candidates + template behind KEY_RANKING
KEY_IMPORTANCE = "mets.lead_importance"  # {lead: score change} for the top candidate
KEY_EXPLORE = "mets.explore"  # per-record predictions table of the explore page
KEY_EXPLORE_SOURCE = "mets.explore_source"  # where KEY_EXPLORE came from (folder or CSV)

# --- widget keys (explicit so AppTest and Playwright can address them) ---
W_EXAMPLE = "w.example"
W_LOAD_EXAMPLE = "w.load_example"
W_UPLOAD = "w.upload"
W_UPLOAD_FS = "w.upload_fs"
W_READ_UPLOAD = "w.read_upload"
W_PRESET = "w.preset"
W_CANDIDATES = "w.candidates"
W_TEMPLATE = "w.template"
W_RANK = "w.rank"
W_EXPLAIN = "w.explain"
W_LAYOUT = "w.layout"
W_SPEED = "w.speed"
W_GAIN = "w.gain"
W_TRACE = "w.trace"
W_POWERLINE = "w.powerline"
W_RPEAKS = "w.rpeaks"
W_CALIPER_LEAD = "w.caliper_lead"
W_DATA_DIR = "w.data_dir"
W_MAX_RECORDS = "w.max_records"
W_RUN_SPLIT = "w.run_split"
W_RESULTS_CSV = "w.results_csv"
W_ONLY_WRONG = "w.only_wrong"
W_OPEN_RECORD = "w.open_record"

DISCLAIMER = (
    "METS ranks free-text diagnoses by their similarity to an ECG. It is a research and teaching "
    "tool, not a medical device, and its output is not a diagnosis."
)
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WEIGHTS_DIR = REPO_ROOT / "weights"
RESULTS_DIR = REPO_ROOT / "results"


def weights_setting() -> str | None:
    """The weights file from METS_WEIGHTS, or None for `mets_core.load_model`'s default."""
    return os.environ.get("METS_WEIGHTS") or None


def device_setting() -> str:
    """The compute device from METS_DEVICE ("auto", "cpu", "cuda", "cuda:1"); default "auto"."""
    return os.environ.get("METS_DEVICE") or "auto"


def data_dir_setting() -> str:
    """A default dataset folder for the explore page from METS_DATA_DIR ("" when unset)."""
    return os.environ.get("METS_DATA_DIR", "")


def page_setup(title: str) -> None:
    """Configure the page and draw the shared sidebar (disclaimer and the record in use).

    Every page calls this first, so each page runs on its own (AppTest renders one page per run).

    Args:
        title: the page title shown in the browser tab, e.g. "Zero-shot ranking".
    """
    st.set_page_config(page_title=f"METS · {title}", page_icon="🫀", layout="wide")
    with st.sidebar:
        st.caption(DISCLAIMER)
        record = st.session_state.get(KEY_RECORD)
        if record is None:
            st.caption("No ECG loaded yet.")
        else:
            st.caption(f"**ECG in use:** {st.session_state.get(KEY_RECORD_LABEL, record.source)}")
            st.caption(f"{record.n_leads} leads · {record.fs_hz:g} Hz · {record.duration_s:.1f} s")


@st.cache_resource(show_spinner="Loading the METS model (once per server process)…")
def _load_model_cached(weights: str | None, device: str):  # noqa: ANN202 (LoadedModel)
    # Shared by every user and thread: treat as read-only (no .to(), .train() or attributes).
    import mets_core

    return mets_core.load_model(weights=weights, device=device)


def load_model_or_stop():  # noqa: ANN201 (mets_core.LoadedModel)
    """Return the process-wide model for (METS_WEIGHTS, METS_DEVICE), or show the error and stop."""
    try:
        return _load_model_cached(weights_setting(), device_setting())
    except METSError as error:
        st.error(str(error))
        st.stop()


def show_weights_status(model) -> None:  # noqa: ANN001 (mets_core.LoadedModel)
    """Name the weights and device, with a loud warning when the weights are not trained."""
    info = model.weights
    st.markdown(f"**Model:** `{info.name}` · **device:** {device_label(model.device)}")
    st.caption(f"SHA-256 `{info.sha256}`")
    if not info.trained:
        st.warning(
            "These weights are RANDOMLY INITIALISED, not trained. Every ranking they produce is "
            "meaningless; use them only to try the interface. Set METS_WEIGHTS to trained weights.",
            icon="⚠️",
        )


def device_label(device: object) -> str:
    """A readable device name: the GPU model for CUDA devices, "CPU" otherwise."""
    text = str(device)
    if text.startswith("cuda"):
        import torch

        return f"GPU {torch.cuda.get_device_name(torch.device(text))} ({text})"
    return "CPU"


def set_record(record: ECGRecord, label: str, reference: str | None = None) -> None:
    """Make `record` the ECG in use for this session and forget results of the previous one."""
    st.session_state[KEY_RECORD] = record
    st.session_state[KEY_RECORD_LABEL] = label
    st.session_state[KEY_REFERENCE] = reference
    for key in (KEY_RANKING, KEY_RANKING_SETTINGS, KEY_IMPORTANCE):
        st.session_state.pop(key, None)


def record_or_stop() -> ECGRecord:
    """Return the session's record, or point the user to the Load page and stop."""
    record = st.session_state.get(KEY_RECORD)
    if record is None:
        st.info("No ECG is loaded in this session yet. Load one first.")
        st.page_link("pages/1_Load_ECG.py", label="Load an ECG", icon="📂")
        st.stop()
    return record


def record_summary(record: ECGRecord) -> dict[str, str]:
    """A flat, human-readable summary of a record (for display and for exports)."""
    summary = {
        "source": record.source,
        "leads": ", ".join(record.lead_names),
        "sampling rate": f"{record.fs_hz:g} Hz",
        "duration": f"{record.duration_s:.2f} s",
        "samples per lead": str(record.n_samples),
        "units": "mV",
        "derived leads": ", ".join(record.derived_leads) or "none",
    }
    return summary


def show_notes(notes: Sequence[str], title: str = "Notes") -> None:
    """Show every adjustment a step made (resampling, padding, unit scaling) as warnings."""
    for note in notes:
        st.warning(f"{title}: {note}")


def show_error_and_stop(error: METSError) -> None:
    """Show a METSError as a clinician-readable message and end this run of the page."""
    st.error(str(error))
    st.stop()


def result_files(suffix: str) -> list[Path]:
    """Files in the repository's results/ folder ending in `suffix` (e.g. ".csv"), sorted."""
    if not RESULTS_DIR.is_dir():
        return []
    return sorted(p for p in RESULTS_DIR.rglob(f"*{suffix}") if p.is_file())
