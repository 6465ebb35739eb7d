"""The one typed API over `st.session_state`: everything the pages keep for one browser session.

Per-patient data (the record, its ranking, the results derived from them) lives here only, never
in a cache shared between users, and is forgotten when the browser session ends. Pages call these
functions and never touch `st.session_state` themselves; tests may seed the `KEY_*` constants.
Widget values are owned by their widgets (`keys.W_*`); the few a page must read or set outside
its widget call go through functions here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mets_core.app import keys, sidebar

if TYPE_CHECKING:
    import pandas as pd
    from streamlit.delta_generator import DeltaGenerator
    from streamlit.runtime.scriptrunner import ScriptRunContext
    from streamlit.runtime.uploaded_file_manager import UploadedFile

    from mets_core.record import ECGRecord
    from mets_core.signal.calipers import CaliperPoint
    from mets_core.teaching.lesson import Lesson
    from mets_core.zeroshot.explain import TimeImportance
    from mets_core.zeroshot.rank import Ranking
    from mets_core.zeroshot.sanity import ControlResult

KEY_RECORD = "mets.record"  # the ECGRecord in use
KEY_RECORD_LABEL = "mets.record_label"  # what the user loaded, e.g. "Example: normal ECG"
KEY_REFERENCE = "mets.reference"  # reference report/label of a dataset record, if known
KEY_RANKING = "mets.ranking"  # the last Ranking for KEY_RECORD
KEY_RANKING_SETTINGS = "mets.ranking_settings"  # the RankingSettings behind KEY_RANKING
KEY_SANITY = "mets.sanity"  # (the ranking checked, its sanity.ControlResult list)
KEY_IMPORTANCE = "mets.importance"  # ({lead: score change}, explain.TimeImportance) of the top
KEY_UPLOAD_SIGNATURE = "mets.upload_signature"  # (fs_hz, file ids...) of the upload already read
KEY_UPLOAD_ERROR = "mets.upload_error"  # why the last upload could not be read
KEY_DERIVED = "mets.derived"  # (record, {name: value}): what pages computed from the record
KEY_HELD_UPLOAD = "mets.held_upload"  # HeldUpload: an upload not yet read into a record
KEY_UPLOAD_GENERATION = "mets.upload_generation"  # int: which uploader widget key is current
KEY_EXPLORE = "mets.explore"  # per-record predictions table of the explore page
KEY_EXPLORE_SOURCE = "mets.explore_source"  # where KEY_EXPLORE came from (folder or CSV)
_KEY_SIDEBAR_SLOT = "mets.sidebar_slot"  # this run's sidebar placeholder for the record in use
KEY_UPLOAD_FILE_NAMES = "mets.upload_file_names"  # names of the files the record was read from
KEY_WIDGET_MEMORY = "mets.widget_memory"  # {widget key: value}: inputs kept across pages

# Results that belong to one record: a new record forgets them.
_RECORD_RESULTS = (
    KEY_RANKING,
    KEY_RANKING_SETTINGS,
    KEY_IMPORTANCE,
    KEY_SANITY,
    KEY_UPLOAD_ERROR,
    KEY_HELD_UPLOAD,  # the upload it was read from: its bytes are not kept once read
    KEY_DERIVED,
    KEY_UPLOAD_FILE_NAMES,
)
T = TypeVar("T")


@dataclass(frozen=True)
class RankingSettings:
    """How the session's ranking was made (shown on the pages and written into its exports)."""

    template: str | None = None  # prompt template; None = the model's zero-shot template
    centred: bool = False  # candidates centred (`rank(..., center=True)`)


# --- the record in use ---


def set_record(
    record: ECGRecord,
    label: str,
    reference: str | None = None,
    file_names: Sequence[str] = (),
) -> None:
    """Make `record` the ECG in use and forget every result of the previous one.

    Args:
        record: the ECG to use on every page from now on.
        label: what the user loaded, e.g. "Example: normal ECG" or "Upload 1, GE MUSE XML";
            never a file name (it may name the patient).
        reference: the dataset's own report or label for this record, if known.
        file_names: the uploaded files' names, shown only when the user asks
            (`set_show_file_names`); dropped with the record.
    """
    st.session_state[KEY_RECORD] = record
    st.session_state[KEY_RECORD_LABEL] = label
    st.session_state[KEY_REFERENCE] = reference
    for key in _RECORD_RESULTS:
        st.session_state.pop(key, None)
    if file_names:
        st.session_state[KEY_UPLOAD_FILE_NAMES] = tuple(file_names)
    st.session_state[keys.W_SHOW_PATIENT] = False  # a new record starts with its patient hidden
    _redraw_sidebar()


def forget_record() -> None:
    """Drop the session's record (e.g. after a failed upload) so no earlier ECG stays on show."""
    for key in (KEY_RECORD, KEY_DERIVED, KEY_UPLOAD_FILE_NAMES, KEY_RANKING, KEY_SANITY):
        st.session_state.pop(key, None)
    _redraw_sidebar()


def record() -> ECGRecord | None:
    """The ECG in use, or None before one is loaded."""
    return st.session_state.get(KEY_RECORD)


def record_label() -> str:
    """What the user loaded, e.g. "Example: normal ECG"; the record's source when unnamed.

    An upload is named by its neutral label ("Upload 1, GE MUSE XML"); its file names follow only
    when the user asked to see them (`show_file_names`). Returns "" when no record is loaded.
    """
    current = record()
    if current is None:
        return ""
    label = st.session_state.get(KEY_RECORD_LABEL, current.source)
    names = st.session_state.get(KEY_UPLOAD_FILE_NAMES, ())
    if names and show_file_names():
        return f"{label} ({', '.join(names)})"
    return label


def show_file_names() -> bool:
    """Whether the user asked to see uploaded files' names (off by default: they may name the
    patient)."""
    if keys.W_SHOW_FILE_NAMES in st.session_state:  # the checkbox, when on this page
        return bool(st.session_state[keys.W_SHOW_FILE_NAMES])
    return bool(remembered(keys.W_SHOW_FILE_NAMES, False))


def reference() -> str | None:
    """The dataset's reference report or label for the record in use, or None if unknown."""
    return st.session_state.get(KEY_REFERENCE)


def derived(name: str, compute: Callable[[], T]) -> T:
    """A value computed from the record in use: computed once per record, kept in this session.

    Pages rerun from the top at every click; what depends only on the record (its quality
    checks, cleaned signal, measurements, preview figure) need not be computed again each time.
    It is patient data, so it stays in this session (never a cache shared between users) and is
    dropped with the record (`set_record`, `forget_record`).

    Args:
        name: what is computed, including every setting it depends on, e.g. "cleaned/50 Hz".
        compute: makes the value from the record in use (called at most once per record).

    Returns:
        The value, computed now or earlier for this same record.
    """
    current = record()
    stored = st.session_state.get(KEY_DERIVED)
    if stored is None or stored[0] is not current:
        stored = (current, {})
        st.session_state[KEY_DERIVED] = stored
    values = stored[1]
    if name not in values:
        values[name] = compute()
    return values[name]


# --- the sidebar's "ECG in use" ---


def set_sidebar_slot(slot: DeltaGenerator) -> None:
    """Keep this run's sidebar slot (from `sidebar.draw_sidebar`) and show the record in it.

    `set_record` and `forget_record` redraw the slot, so the sidebar follows a record loaded later
    in the same run.
    """
    st.session_state[_KEY_SIDEBAR_SLOT] = slot
    _redraw_sidebar()


def _redraw_sidebar() -> None:
    slot = st.session_state.get(_KEY_SIDEBAR_SLOT)
    if slot is not None:
        sidebar.show_record_in_use(slot, record(), record_label())


# --- the upload being read (Load page) ---


@dataclass(frozen=True)
class HeldUpload:
    """The bytes of one upload, kept only until they are read into a record.

    Attributes:
        files: (file name, bytes) pairs, in the order uploaded.
        number: counts this session's uploads, so each one is read (at least) once.
    """

    files: tuple[tuple[str, bytes], ...]
    number: int

    @property
    def size(self) -> int:
        """Bytes held."""
        return sum(len(data) for _, data in self.files)


def upload_widget_key() -> str:
    """The Load page uploader's widget key; `take_upload` moves it on so the widget empties."""
    generation = st.session_state.get(KEY_UPLOAD_GENERATION, 0)
    return keys.W_UPLOAD if generation == 0 else f"{keys.W_UPLOAD}.{generation}"


def take_upload(uploads: Sequence[UploadedFile], limit_bytes: int) -> HeldUpload | None:
    """Move an upload out of Streamlit's upload store into this session, within a byte cap.

    Streamlit keeps every uploaded file's bytes in server memory until the browser session ends.
    This copies the files' bytes once, drops Streamlit's copies (and any other file this session
    parked there), and gives the uploader a fresh key so the browser forgets the files too. An
    upload larger than `limit_bytes` is refused: nothing of it is kept, and `upload_error` says
    why. The bytes kept here go when the record read from them is set (`set_record`), when
    another upload replaces them, or when the session ends.

    Args:
        uploads: what `st.file_uploader(..., accept_multiple_files=True)` returned.
        limit_bytes: the most upload bytes one session may hold at once.

    Returns:
        The held upload, or None when it was refused for its size.
    """
    ctx = get_script_run_ctx()
    parked = _parked_upload_bytes(ctx)
    total = max(sum(upload.size for upload in uploads), parked)
    held = None
    if total <= limit_bytes:
        number = st.session_state.get(KEY_UPLOAD_GENERATION, 0) + 1
        files = tuple((upload.name, upload.getvalue()) for upload in uploads)
        held = HeldUpload(files=files, number=number)
        st.session_state[KEY_HELD_UPLOAD] = held
    else:
        st.session_state.pop(KEY_HELD_UPLOAD, None)
        forget_record()  # never keep showing the previous ECG beside a refusal
        set_upload_error(
            f"This upload is {total / 2**20:.1f} MB; one browser session may hold at most "
            f"{limit_bytes / 2**20:.0f} MB of uploads at a time, so nothing of it was kept. "
            "Upload one ECG at a time (a 12-lead 10 s record is well under 1 MB)."
        )
    if ctx is not None and isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        ctx.uploaded_file_mgr.remove_session_files(ctx.session_id)
    st.session_state[KEY_UPLOAD_GENERATION] = st.session_state.get(KEY_UPLOAD_GENERATION, 0) + 1
    return held


def _parked_upload_bytes(ctx: ScriptRunContext | None) -> int:
    """Bytes this session holds in Streamlit's in-memory upload store (0 when unknown)."""
    if ctx is None or not isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        return 0
    stored = ctx.uploaded_file_mgr.file_storage.get(ctx.session_id, {})
    return sum(len(rec.data) for rec in list(stored.values()))


def held_upload() -> HeldUpload | None:
    """The upload not yet read into a record (kept so a typed sampling rate can re-read it)."""
    return st.session_state.get(KEY_HELD_UPLOAD)


def upload_signature() -> tuple[float | str, ...] | None:
    """(fs_hz, file ids...) of the upload already read, or None; each upload is read once."""
    return st.session_state.get(KEY_UPLOAD_SIGNATURE)


def set_upload_signature(signature: tuple[float | str, ...]) -> None:
    """Remember which upload (sampling-rate setting and file ids) has been read."""
    st.session_state[KEY_UPLOAD_SIGNATURE] = signature


def upload_error() -> str | None:
    """Why the last upload could not be read, or None (cleared by `set_record`)."""
    return st.session_state.get(KEY_UPLOAD_ERROR)


def set_upload_error(message: str) -> None:
    """Remember why the last upload could not be read, to show it on every rerun."""
    st.session_state[KEY_UPLOAD_ERROR] = message


# --- the ranking of the record in use ---


def set_ranking(ranking: Ranking, template: str | None = None, centred: bool = False) -> None:
    """Make `ranking` the session's ranking of the record in use; forget the old importance.

    Args:
        ranking: candidates best first, from `mets_core.rank`.
        template: the prompt template it used; None = the model's zero-shot template.
        centred: whether the candidates were centred (`rank(..., center=True)`).
    """
    st.session_state[KEY_RANKING] = ranking
    st.session_state[KEY_RANKING_SETTINGS] = RankingSettings(template=template, centred=centred)
    st.session_state.pop(KEY_IMPORTANCE, None)


def ranking() -> Ranking | None:
    """The session's ranking of the record in use, or None before one is made."""
    return st.session_state.get(KEY_RANKING)


def ranking_settings() -> RankingSettings:
    """How `ranking()` was made (the defaults when it was stored without settings)."""
    return st.session_state.get(KEY_RANKING_SETTINGS) or RankingSettings()


def forget_ranking() -> None:
    """Drop the session's ranking and what was derived from it (e.g. after a failed Rank), so an
    earlier ranking never looks like the answer to the list now typed."""
    for key in (KEY_RANKING, KEY_RANKING_SETTINGS, KEY_SANITY, KEY_IMPORTANCE):
        st.session_state.pop(key, None)


def preset_choice() -> str:
    """The candidate preset chosen on the Zero-shot page (widget `keys.W_PRESET`)."""
    return st.session_state.get(keys.W_PRESET, "")


def set_candidates_text(text: str) -> None:
    """Fill the Zero-shot page's candidate box (one candidate per line) for its next run."""
    st.session_state[keys.W_CANDIDATES] = text
    remember_widget(keys.W_CANDIDATES, text)


# --- inputs kept for the whole session (typed candidates, template, settings) ---


def restore_widget(key: str, default: object) -> None:
    """Give widget `key` its value from earlier in this session (or `default`) before it is drawn.

    Streamlit forgets a widget's value when a page without it runs (the user changed page).
    Call this before the widget (without `value=`), and `remember_widget` after it, so what the
    user typed or chose is back when they return.
    """
    if key not in st.session_state:
        st.session_state[key] = remembered(key, default)


def remember_widget(key: str, value: object) -> None:
    """Keep widget `key`'s current value for `restore_widget` (for this browser session only)."""
    st.session_state.setdefault(KEY_WIDGET_MEMORY, {})[key] = value


def remembered(key: str, default: T) -> T:
    """The value `remember_widget` kept for widget `key`, or `default`."""
    return st.session_state.get(KEY_WIDGET_MEMORY, {}).get(key, default)


# --- results derived from the ranking ---


def set_importance(by_lead: dict[str, float], by_time: TimeImportance) -> None:
    """Keep the lead and time importance of the ranking's top candidate.

    Args:
        by_lead: lead name -> cosine change with that lead zeroed (`mets_core.lead_importance`).
        by_time: cosine change per zeroed second (`explain.time_importance`).
    """
    st.session_state[KEY_IMPORTANCE] = (by_lead, by_time)


def importance() -> tuple[dict[str, float], TimeImportance] | None:
    """(by lead, by time) importance of the top candidate, or None before it is computed."""
    return st.session_state.get(KEY_IMPORTANCE)


def set_sanity(checked: Ranking, results: list[ControlResult]) -> None:
    """Keep the sanity-check results together with the ranking they were made for."""
    st.session_state[KEY_SANITY] = (checked, results)


def sanity_results(current: Ranking) -> list[ControlResult] | None:
    """The sanity-check results made for exactly `current`; None if none, or for an earlier one."""
    stored = st.session_state.get(KEY_SANITY)
    if stored is None or stored[0] is not current:
        return None
    return stored[1]


# --- the explore page's predictions table ---


def set_explore(table: pd.DataFrame, source: str) -> None:
    """Keep a per-record predictions table, and where it came from, in this session.

    Args:
        table: one row per record or beat (ecg_id, true, predicted, correct, ...).
        source: where it came from, e.g. "results/ptbxl_predictions.csv".
    """
    st.session_state[KEY_EXPLORE] = table
    st.session_state[KEY_EXPLORE_SOURCE] = source


def clear_explore() -> None:
    """Forget the predictions table (e.g. when the dataset changes: ids differ per dataset)."""
    st.session_state.pop(KEY_EXPLORE, None)


def explore_table() -> pd.DataFrame | None:
    """The session's per-record predictions table, or None before one is run or loaded."""
    return st.session_state.get(KEY_EXPLORE)


def explore_source() -> str:
    """Where `explore_table()` came from ("" when unknown)."""
    return st.session_state.get(KEY_EXPLORE_SOURCE, "")


# --- teaching mode (pages/8_Teaching.py) ---

KEY_LESSON = "mets.lesson"  # teaching.lesson.Lesson: the learner's deck, answers and results
KEY_LESSON_RECORD = "mets.lesson_record"  # (case_id, ECGRecord): the ECG of the case on show


def lesson() -> Lesson | None:
    """The learner's teaching session (deck, position, results), or None before one starts."""
    return st.session_state.get(KEY_LESSON)


def set_lesson(value: Lesson) -> None:
    """Keep the learner's teaching session (a new `Lesson` value after every step)."""
    st.session_state[KEY_LESSON] = value


def lesson_record(case_id: str, load: Callable[[], ECGRecord]) -> ECGRecord:
    """The ECG of teaching case `case_id`, read once while that case is on show.

    Args:
        case_id: the case on show, e.g. "ptbxl:417".
        load: reads the case's ECG (`teaching.deck.load_case_record`).
    """
    stored = st.session_state.get(KEY_LESSON_RECORD)
    if stored is None or stored[0] != case_id:
        stored = (case_id, load())
        st.session_state[KEY_LESSON_RECORD] = stored
    return stored[1]


# --- calipers on the signal view (points clicked on the record in use) ---

KEY_CALIPER = "mets.caliper"  # (record, caliper points, the last click taken)


def caliper_points() -> tuple[CaliperPoint, ...]:
    """The caliper points clicked on the record in use (none for another record)."""
    stored = st.session_state.get(KEY_CALIPER)
    return stored[1] if stored and stored[0] is record() else ()


def take_caliper_click(click: CaliperPoint | None) -> tuple[CaliperPoint, ...]:
    """Add a clicked point (`calipers.add_point`) unless it is the click already taken.

    A plotly selection stays in place over reruns, so the same click arrives again; only a new
    one moves the calipers.

    Returns:
        The caliper points after the click.
    """
    from mets_core.signal.calipers import add_point

    stored = st.session_state.get(KEY_CALIPER)
    if not stored or stored[0] is not record():
        stored = (record(), (), None)
    if click is not None and click != stored[2]:
        stored = (stored[0], add_point(stored[1], click), click)
    st.session_state[KEY_CALIPER] = stored
    return stored[1]


def clear_calipers() -> None:
    """Forget the caliper points (the last click stays taken)."""
    stored = st.session_state.get(KEY_CALIPER)
    if stored:
        st.session_state[KEY_CALIPER] = (stored[0], (), stored[2])
