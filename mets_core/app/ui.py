"""Display helpers every page shares: page set-up, links between pages, notes, file facts.

Pages import `ui` for what they show, `session` for what they keep per browser session,
`model_cache` for the model, `settings` for what the operator configured and `keys` for widget
keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from mets_core.app import keys, session, settings, sidebar
from mets_core.errors import DataError, METSError
from mets_core.notes import split_notes
from mets_core.record import ECGRecord
from mets_core.signal.file_values import file_facts, file_statements
from mets_core.zeroshot.agreement import Agreement, compare_with_reference

if TYPE_CHECKING:
    from mets_core.model.load import LoadedModel
    from mets_core.signal.quality import LeadQuality
    from mets_core.zeroshot.rank import Ranking
    from mets_core.zeroshot.sanity import ControlResult

T = TypeVar("T")

# The browser-tab icon as inline SVG (a trace on a monitor). Streamlit turns a ":material/...:"
# page icon into a fonts.gstatic.com URL, so the page would call out of the machine; an SVG
# string becomes a data: URL. In-page ":material/...:" icons use the font Streamlit serves.
PAGE_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    '<rect x="1.5" y="3.5" width="21" height="15" rx="2" fill="#ffffff" stroke="#1f5f8b"/>'
    '<path d="M3.5 11h4l1.5-4 2.5 8 2-6 1.2 2H20.5" fill="none" stroke="#c53948" '
    'stroke-width="1.6" stroke-linejoin="round"/><path d="M8 21h8" stroke="#1f5f8b"/></svg>'
)
ICON_WARNING = ":material/warning:"
ICON_ERROR = ":material/error:"
REPO_ROOT = settings.REPO_ROOT
RESULTS_DIR = REPO_ROOT / "results"
# What reading a dataset folder may raise besides METSError when a file in it is not what it
# should be (random bytes: UnicodeDecodeError; a broken CSV or header: ValueError; no access).
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]<>()#+\-.!|~$:]")  # CommonMark punctuation
_DATASET_READ_ERRORS = (METSError, OSError, ValueError, KeyError, IndexError)


def page_setup(title: str) -> None:
    """Configure the page and draw the shared sidebar (disclaimer and the record in use).

    Every page calls this first, so each page runs on its own (AppTest renders one page per run).

    Args:
        title: the page title shown in the browser tab, e.g. "Zero-shot ranking".
    """
    _run_through_router()
    st.set_page_config(page_title=f"METS · {title}", page_icon=PAGE_ICON, layout="wide")
    session.set_sidebar_slot(sidebar.draw_sidebar())


_ROUTER_HAS_RUN = [False]  # set by app.py (`router_started`) in this server process


def router_started() -> None:
    """Called by `app.py` on every run: the router, with its sections, is serving this process."""
    _ROUTER_HAS_RUN[0] = True


def _run_through_router() -> None:
    """Rerun through `app.py` when Streamlit ran this page as a legacy `pages/` app.

    Streamlit 1.67 decides at a server's first session whether the app is a v1 multipage app
    (a `pages/` folder beside the entrypoint): when that first session opens a page's URL
    (e.g. /Model_Card), the page runs alone under a flat list of files ("app", "Home", ...)
    until some run calls `st.navigation`. Clearing the flag and rerunning sends the same URL
    through the router, with its sections. Only before the router has ever run in this process:
    AppTest runs of `app.py` keep Streamlit's legacy mode on every run (it resets the flag) and
    must not be rerun; a page run alone never has the flag set. Relies on
    `PagesManager.uses_pages_directory`, an internal of Streamlit:
    tests/test_browser_deep_link.py fails if a Streamlit upgrade changes it.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "uses_pages_directory", None) and not _ROUTER_HAS_RUN[0]:
        PagesManager.uses_pages_directory = False
        st.rerun()


def show_weights_status(model: LoadedModel) -> None:
    """Name the weights and device, with a loud warning when the weights are not trained."""
    from mets_core.model.device import describe_device

    info = model.weights
    st.markdown(f"**Model:** `{info.name}` · **device:** {describe_device(model.device)}")
    if info.sha256:
        st.caption(f"Weights SHA-256 `{info.sha256}`")
    if not info.trained:
        st.warning(
            "These weights are RANDOMLY INITIALISED, not trained. Every ranking they produce is "
            "meaningless; use them only to try the interface. Set METS_WEIGHTS to trained weights.",
            icon=ICON_WARNING,
        )


def link_to(page: str, label: str, icon: str) -> None:
    """`st.page_link` to another page, e.g. ``link_to("pages/3_Signal_View.py", ...)``.

    A page rendered on its own (AppTest, or `streamlit run pages/x.py`) has no page registry;
    there the link becomes a hint to use the sidebar instead of failing.
    """
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.caption(f"{label}: open it from the sidebar.")


def go_to(page: str, label: str) -> None:
    """Switch to another page (see `link_to` for pages rendered on their own)."""
    try:
        st.switch_page(page)
    except StreamlitPageNotFoundError:
        st.success(f"Done. Open “{label}” from the sidebar.")


def record_or_stop() -> ECGRecord:
    """Return the session's record, or point the user to the Load page and stop."""
    record = session.record()
    if record is None:
        st.info("No ECG is loaded in this session yet. Load one first.")
        link_to("pages/1_Load_ECG.py", "Load an ECG", ":material/upload_file:")
        st.stop()
    return record


def show_quality_verdict(record: ECGRecord, consequence: str) -> None:
    """Warn when the record fails its quality checks (listing why); note lesser issues.

    Args:
        record: the ECG in use.
        consequence: what failing means here, e.g. "any ranking of it may be meaningless".
    """
    from mets_core.signal.quality import record_usable

    usable, reasons = record_usable(lead_quality(record))
    bullets = "".join(f"\n- {reason}" for reason in reasons)
    if not usable:
        message = f"This recording failed its quality checks; {consequence}:{bullets}"
        st.warning(message, icon=ICON_WARNING)
    elif reasons:
        st.info(f"Quality notes:{bullets}")


def lead_quality(record: ECGRecord) -> list[LeadQuality]:
    """Per-lead quality checks of `record`, computed once per record in use (see `for_record`)."""
    from mets_core.signal.quality import assess_leads

    return for_record(record, "lead quality", lambda: assess_leads(record))


def rank_controls(model: LoadedModel, record: ECGRecord, ranking: Ranking) -> list[ControlResult]:
    """The sanity controls of `ranking` (the session's, made from `record`), kept in the session.

    The controls depend on the record and the weights, not on the candidates: they are embedded
    once per record in use, and each new candidate list is then scored against them in a few
    milliseconds with the settings the ranking was made with. A control that cannot be
    preprocessed is shown as an error and the page stops.
    """
    from mets_core.zeroshot import sanity

    weights = model.weights.sha256 or f"untrained {id(model.module)}"
    used = session.ranking_settings()
    try:
        embedded = for_record(
            record, f"sanity controls/{weights}", lambda: sanity.embed_controls(model, record)
        )
        results = sanity.sanity_check(
            model, record, ranking, template=used.template, center=used.centred, controls=embedded
        )
    except METSError as error:
        show_error_and_stop(error)
    session.set_sanity(ranking, results)
    return results


def for_record(record: ECGRecord, name: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept in this session when `record` is the session's record in use.

    Reruns then reuse what depends only on the record (`session.derived`); any other record
    (a control, a dataset record being opened) is computed afresh.

    Args:
        record: the ECG the value is computed from.
        name: the value's name, including every setting it depends on.
        compute: makes the value.
    """
    if record is session.record():
        return session.derived(name, compute)
    return compute()


def show_notes(notes: Sequence[str], title: str = "Notes") -> None:
    """Show every adjustment a step made (resampling, padding, unit scaling) as warnings."""
    for note in notes:
        st.warning(f"{title}: {note}")


READING_NOTES_TITLE = "How the file was read"


def show_reading_notes(notes: Sequence[str], warnings: bool = True, routine: bool = True) -> None:
    """Warnings for notes that change the reading; every routine note in one collapsed list.

    Which is which is decided where each note is written (`mets_core.notes`), never here.

    Args:
        notes: a record's or a ranking's notes.
        warnings: show the notes that change the reading, one `st.warning` each.
        routine: show the routine notes in one collapsed "How the file was read" list.
    """
    warning_notes, routine_notes = split_notes(notes)
    for note in warning_notes if warnings else ():
        st.warning(note[:1].upper() + note[1:], icon=ICON_WARNING)
    if routine and routine_notes:
        count = len(routine_notes)
        title = f"{READING_NOTES_TITLE} ({count} note{'s' if count > 1 else ''})"
        with st.expander(title, expanded=False):
            st.markdown("\n".join(f"- {note}" for note in routine_notes))


def ranking_matches_inputs(
    ranking: Ranking,
    used: session.RankingSettings,
    candidates_text: str,
    template: str,
    centred: bool,
) -> bool:
    """Whether `ranking` answers the candidates and settings now on the page (a list that cannot
    be parsed answers no: the ranking is for an earlier one)."""
    from mets_core.errors import LabelInputError
    from mets_core.zeroshot.rank import parse_candidates

    try:
        typed = parse_candidates(candidates_text)
    except LabelInputError:
        return False
    ranked = [item.candidate for item in ranking]
    return sorted(typed) == sorted(ranked) and used.template == template and used.centred == centred


def show_reference_comparison(ranking: Ranking, reference: str | None) -> None:
    """The record's reference label beside the ranking, and plainly whether the top answer
    differs from it (`zeroshot.agreement`)."""
    if not reference:
        st.caption("No reference label is known for this record.")
        return
    comparison = compare_with_reference(ranking, reference)
    st.markdown(f"**Reference label (from the dataset):** {reference}")
    if comparison.agreement is Agreement.DIFFERS:
        st.warning(comparison.message, icon=ICON_WARNING)
    elif comparison.agreement is Agreement.AGREES:
        st.success(comparison.message)
    else:
        st.info(comparison.message)


# The browser refuses a file over `server.maxUploadSize` before the server sees it, and Streamlit
# then shows only a small red icon: its message ("File must be 50.0MB or smaller.") is in the page
# for screen readers only. This style shows that message, in red, under the refused file.
_REFUSED_FILE_STYLE = """<style>
[data-testid="stFileChip"][aria-invalid="true"] { flex-wrap: wrap; max-width: none; }
[data-testid="stFileChip"][aria-invalid="true"] span[role="alert"] {
  position: static; width: auto; height: auto; margin: 0.25rem 0 0 0; clip: auto;
  clip-path: none; overflow: visible; white-space: normal; flex-basis: 100%;
  color: #b91c1c; font-size: 0.95rem; font-weight: 600;
}
</style>"""


# Clinical exports are often named after the patient: the uploader's file chips (a refused file,
# or the moment a file is being read) show its size but not its name, unless the user asks.
_HIDDEN_FILE_NAME_STYLE = '<style>[data-testid="stFileChipName"] { visibility: hidden; }</style>'


def style_uploader(show_file_names: bool) -> None:
    """Make the uploader's own refusal of an over-the-limit file readable (see above), and hide
    file names in its chips unless `show_file_names`."""
    st.html(
        _REFUSED_FILE_STYLE if show_file_names else _REFUSED_FILE_STYLE + _HIDDEN_FILE_NAME_STYLE
    )


def show_error_and_stop(error: METSError) -> None:
    """Show a METSError as a clinician-readable message and end this run of the page."""
    st.error(str(error))
    st.stop()


@contextmanager
def dataset_errors_shown(root: settings.DatasetRoot, dataset: str) -> Iterator[None]:
    """Show a failed read of a configured dataset folder as a plain error naming its label only.

    The folder's path never reaches the page: users pick a label, and the message names that
    label, so errors cannot tell them which server directories exist. A file inside the folder
    that is not what it should be (random bytes, a broken CSV) is an error message, not a crash.

    Args:
        root: the configured folder being read.
        dataset: its kind in words, e.g. "PTB-XL".
    """
    try:
        yield
    except _DATASET_READ_ERRORS as error:
        detail = str(error) if isinstance(error, METSError) else "a file in it could not be read"
        for path in sorted({str(root.path), str(root.path.resolve())}, key=len, reverse=True):
            detail = detail.replace(path, f"<{root.label}>")
        show_error_and_stop(
            DataError(f"The {dataset} folder “{root.label}” could not be used: {detail}")
        )


def result_files(suffix: str) -> list[Path]:
    """Files in the repository's results/ folder ending in `suffix` (e.g. ".csv"), sorted."""
    if not RESULTS_DIR.is_dir():
        return []
    return sorted(p for p in RESULTS_DIR.rglob(f"*{suffix}") if p.is_file())


@contextmanager
def progress(start_text: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar as a `report(done, total)` callback; gone when the block ends or raises."""
    bar = st.progress(0.0, text=start_text)
    try:
        yield lambda done, total: bar.progress(
            done / total, text=f"Zero-shot ranking: {done} of {total} {unit}"
        )
    finally:
        bar.empty()


def as_plain_text(text: str) -> str:
    """Text from a file, escaped so Markdown shows it as written (">>> Acute MI <<<" is a device
    alert, not a nested quote; "*", "_", "|", "#" are characters, not formatting)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)


def show_file_statements(record: ECGRecord) -> None:
    """The device's own statements and facts, labelled as the file's, not as METS output."""
    statements = file_statements(record.file_info)
    if statements:
        st.markdown("**Statements in the file** (the recording device's, not METS's)")
        st.markdown("\n".join(f"- {as_plain_text(line)}" for line in statements))
    facts = file_facts(record.file_info)
    if facts:
        with st.expander("About the file (source: the file)"):
            st.table(key_value_table(facts))


def show_patient_fields(record: ECGRecord) -> None:
    """Patient identifiers stated in the file: hidden until the user asks, never logged."""
    if not record.patient_fields:
        return
    names = ", ".join(record.patient_fields)
    if st.toggle(f"Show patient identifiers from the file ({names})", key=keys.W_SHOW_PATIENT):
        st.table(key_value_table(record.patient_fields))
    st.caption(
        "Patient identifiers are hidden by default. METS never logs or exports them and forgets "
        "them when this browser session ends."
    )


def key_value_table(values: dict[str, object]) -> pd.DataFrame:
    """A two-column (item, value) table of a flat dict; nested values are shown as JSON."""
    return pd.DataFrame(
        {
            "item": [str(key) for key in values],
            "value": [
                v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
                for v in values.values()
            ],
        }
    )


def relative_to_repo(path: Path) -> str:
    """A path shown relative to the repository root when it lies inside it."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
