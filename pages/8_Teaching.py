"""Teaching mode: read a tracing, commit an interpretation, then see the model and the reference."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from mets_core.app import keys, model_cache, plotting, session, settings, ui
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import METSError
from mets_core.signal import display_filter
from mets_core.teaching import deck, lesson, scoring
from mets_core.zeroshot.labels import class_names, task_labels
from mets_core.zeroshot.rank import probability_name

PTBXL_MAINS_HZ = 50.0  # every case is PTB-XL, recorded in Germany: 50 Hz mains
ui.page_setup("Teaching")
st.title("Teaching: read the ECG first, then compare")
st.markdown(
    "Read each tracing and **commit your interpretation** (pick classes and/or type your "
    "reading). Only then do you see the model's ranking, the dataset's reference label and "
    "report, and a score for both. No upload is needed: the cases are the bundled PTB-XL "
    "examples and, where this server has a PTB-XL copy, records of its test fold (fold 10)."
)
model = model_cache.load_model_or_stop()
ui.show_weights_status(model)
roots = settings.dataset_roots(settings.PTBXL)
root = roots[0] if roots else None  # the first PTB-XL folder the operator configured
root_path: Path | None = root.path if root else None


def _names(codes: tuple[str, ...], task: str) -> str:
    """Class codes in words, e.g. "CD (conduction disturbance)"; "none" for no class."""
    wording = task_labels()[task]
    return ", ".join(f"{code} ({wording.get(code, code)})" for code in codes) or "none"


def _verdict(right: bool) -> str:
    return ":green[**right**]" if right else ":red[**wrong**]"


current = session.lesson()
with st.expander("New teaching session", expanded=current is None):
    col_task, col_cases, col_seed = st.columns(3)
    task = col_task.selectbox(
        "Answer in the classes of",
        deck.TEACHING_TASKS,
        format_func=lambda t: f"PTB-XL {t} ({len(TASK_CLASSES[t])} classes)",
        key=keys.W_TEACH_TASK,
    )
    n_cases = col_cases.number_input(
        "Cases", 1, deck.MAX_CASES, deck.DEFAULT_CASES, key=keys.W_TEACH_CASES
    )
    seed = col_seed.number_input("Seed (same seed, same cases)", 0, 10**6, 0, key=keys.W_TEACH_SEED)
    source = (
        f"the bundled examples and fold 10 of “{root.label}”" if root else "the bundled examples"
    )
    st.caption(f"Cases are drawn from {source}, taking the classes in turn.")
    if st.button("Start", key=keys.W_TEACH_START, type="primary"):
        try:
            current = lesson.start_lesson(task, int(n_cases), int(seed), root_path)
        except METSError as error:
            ui.show_error_and_stop(error)
        session.set_lesson(current)
        st.rerun()

if current is None:
    st.info("Choose the classes to answer in and the number of cases, then press Start.")
    st.stop()

score = lesson.tally(current.results)
col_you, col_model, col_left = st.columns(3)
col_you.metric("You: right", f"{score.learner_right} of {score.cases}")
col_model.metric("Model: right", f"{score.model_right} of {score.cases}")
col_left.metric("Cases left", len(current.cases) - len(current.results))

if current.finished:
    st.subheader("Session summary")
    st.dataframe(
        pd.DataFrame(
            {
                "case": [r.case.title for r in current.results],
                "reference": [_names(r.score.reference, current.task) for r in current.results],
                "you": [_names(r.score.learner, current.task) for r in current.results],
                "you right": [r.score.learner_right for r in current.results],
                "model (top)": [
                    _names((r.score.model_top,), current.task) for r in current.results
                ],
                "model right": [r.score.model_right for r in current.results],
            }
        ),
        hide_index=True,
        key="teach_summary",
    )
    st.caption("Open “New teaching session” above for another deck (change the seed).")
    st.stop()

case = current.current
number = current.position + 1
try:
    record = session.lesson_record(case.case_id, lambda: deck.load_case_record(case, root_path))
except METSError as error:
    ui.show_error_and_stop(error)
st.subheader(f"Case {number} of {len(current.cases)}")
shown = display_filter.describe_display_filter("diagnostic", record.fs_hz, PTBXL_MAINS_HZ)
filtered = display_filter.filter_for_display(
    record.signal, fs_hz=record.fs_hz, mode="diagnostic", powerline_hz=PTBXL_MAINS_HZ
)
st.plotly_chart(
    plotting.plot_ecg_paper(
        record,
        cleaned=replace(record, signal=filtered),
        title=f"Case {number}: {record.duration_s:.0f} s, {record.fs_hz:g} Hz",
        filter_text=shown.label,
    ),
    key="teach_tracing",
)

if not current.committed:
    st.markdown(f"**Your reading** (answered in PTB-XL {current.task} classes)")
    picks = st.multiselect(
        "Pick one or more classes",
        class_names(current.task),
        key=f"{keys.W_TEACH_PICKS}.{number}.{case.case_id}",  # fresh per case and deck
    )
    text = st.text_area(
        "and/or type your reading (one finding per line or separated by commas)",
        placeholder="e.g. sinus rhythm, left bundle branch block",
        key=f"{keys.W_TEACH_TEXT}.{number}.{case.case_id}",
    )
    st.caption(
        "Typed findings are read as classes by exact wording (names, common abbreviations such "
        "as AF or LBBB) or, failing that, by the closest class wording in the model's language "
        "model; you will see what each was read as."
    )
    if st.button("Commit my reading", key=keys.W_TEACH_COMMIT, type="primary"):
        try:
            result = lesson.assess_case(model, record, case, current.task, picks, text)
        except METSError as error:
            ui.show_error_and_stop(error)
        session.set_lesson(lesson.commit(current, result))
        st.rerun()
    st.stop()

result = current.result
st.markdown(
    f"**You:** {_verdict(result.score.learner_right)} · **Model:** "
    f"{_verdict(result.score.model_right)} · **Reference ({current.task}):** "
    f"{_names(result.score.reference, current.task)}"
)
col_reading, col_model_ranking = st.columns(2)
with col_reading:
    st.markdown("**Your reading, as it was read**")
    st.dataframe(
        pd.DataFrame(
            {
                "you gave": [s.text for s in result.reading.statements],
                "read as": [
                    _names((s.code,), current.task) if s.code else "not read"
                    for s in result.reading.statements
                ],
                "how": [
                    s.how
                    + (
                        ""
                        if s.similarity is None
                        else f" (“{s.wording}”, cosine {s.similarity:.2f})"
                    )
                    for s in result.reading.statements
                ],
            }
        ),
        hide_index=True,
        key="teach_reading",
    )
    st.markdown(
        f"Right: {_names(result.score.hits, current.task)}  \n"
        f"Named but not in the reference: {_names(result.score.wrong, current.task)}  \n"
        f"Missed: {_names(result.score.missed, current.task)}"
    )
with col_model_ranking:
    st.markdown("**The model's ranking** (default settings)")
    st.dataframe(
        pd.DataFrame(
            {
                "class": [r.candidate for r in result.ranking],
                "probability (%)": [round(100 * r.probability, 1) for r in result.ranking],
                "cosine": [round(r.cosine, 3) for r in result.ranking],
            }
        ),
        hide_index=True,
        key="teach_ranking",
    )
    st.caption(f"probability: {probability_name(result.ranking)}")  # a narrow column
    if result.ranking.abstain:
        st.warning(f"The model abstains on this ECG: {result.ranking.abstain_reason}")
    for caution in result.ranking.cautions:
        st.caption(caution)

st.markdown(f"**Reference** ({case.source}: {case.title})")
st.markdown(
    "\n".join(
        f"- PTB-XL {name}: {_names(tuple(case.labels.get(name, ())), name)}"
        for name in deck.TEACHING_TASKS
    )
    + (f"\n- Report: {case.report}" if case.report else "\n- No report text in this copy.")
)
st.caption(scoring.SCORING_RULE)
col_next, col_open = st.columns(2)
last = number == len(current.cases)
if col_next.button(
    "See the summary" if last else "Next case", key=keys.W_TEACH_NEXT, type="primary"
):
    session.set_lesson(lesson.advance(current))
    st.rerun()
if col_open.button("Open this case in the Signal view", key=keys.W_TEACH_OPEN):
    labels = _names(result.score.reference, current.task)
    reference = f"{current.task}: {labels}; report: {case.report or '-'}"
    session.set_record(record, f"Teaching case: {case.title}", reference=reference)
    ui.go_to("pages/3_Signal_View.py", "Signal view")
