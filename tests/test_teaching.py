"""Teaching mode: the seeded deck, reading a learner's answer, scoring, the lesson, and its page."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import element_texts
from streamlit.testing.v1 import AppTest

from mets_core.app import keys, session
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import DataError, LabelInputError
from mets_core.teaching import deck, lesson, scoring
from mets_core.zeroshot.labels import class_names, task_labels
from mets_core.zeroshot.vocabulary import phrase_similarities

REPO = Path(__file__).resolve().parents[1]
PTBXL = REPO.parent / "shared" / "data" / "ptb-xl"
needs_ptbxl = pytest.mark.skipif(not PTBXL.is_dir(), reason="no ../shared/data/ptb-xl")


# --- the deck ---


@needs_ptbxl
def test_bundled_example_labels_are_the_datasets_own() -> None:
    from mets_core.data import ptbxl

    index = ptbxl.load_ptbxl_index(PTBXL)
    cases = deck.bundled_cases()
    assert len(cases) == 6  # the six PTB-XL examples; the MIT-BIH excerpt has no PTB-XL labels
    for case in cases:
        row = index.row(case.ecg_id)
        assert row.strat_fold == 10  # test fold only: nothing a learner sees was trained on
        assert dict(case.labels) == dict(row.labels), case.case_id


@pytest.mark.parametrize("task", deck.TEACHING_TASKS)
def test_deck_is_seeded_spread_over_classes_and_works_without_a_dataset(task: str) -> None:
    first = deck.build_deck(task, 5, seed=3)
    assert first == deck.build_deck(task, 5, seed=3)  # same seed, same deck
    assert len({case.case_id for case in first}) == len(first)  # no case twice
    assert all(case.labels[task] for case in first)  # every case has a reference for the task
    assert all(case.source == deck.BUNDLED for case in first)  # no dataset folder given
    bundled_classes = {code for case in deck.bundled_cases() for code in case.labels[task]}
    drawn_classes = {code for case in first for code in case.labels[task]}
    if len(first) >= len(bundled_classes):
        assert drawn_classes == bundled_classes  # the classes take turns


@needs_ptbxl
def test_deck_with_fold_10_takes_classes_in_turn() -> None:
    decks = {seed: deck.build_deck("superclass", 10, seed, PTBXL) for seed in (0, 1)}
    assert decks[0] != decks[1]
    for cases in decks.values():
        assert len(cases) == 10
        normal = sum(case.labels["superclass"] == ("NORM",) for case in cases)
        assert normal <= 4  # more than half of fold 10 is normal; the deck is not
        assert {case.source for case in cases} <= {deck.BUNDLED, deck.PTBXL_TEST}
        assert len({case.case_id for case in cases}) == 10
    record = deck.load_case_record(decks[0][0], PTBXL)
    assert record.n_leads == 12


def test_deck_refuses_bad_requests_in_plain_words() -> None:
    with pytest.raises(DataError, match="superclass"):
        deck.build_deck("diagnosis", 5, 0)
    with pytest.raises(DataError, match="1 to"):
        deck.build_deck("superclass", 0, 0)
    dataset_case = deck.TeachingCase("ptbxl:9", deck.PTBXL_TEST, "PTB-XL ecg_id 9", {}, "")
    with pytest.raises(DataError, match="PTB-XL folder"):
        deck.load_case_record(dataset_case, None)


# --- reading and scoring ---


def test_picks_and_exact_wordings_are_read_as_their_classes() -> None:
    reading = scoring.read_answer(
        "rhythm", ["sinus rhythm"], "AFIB\n  Atrial   Flutter ; afib, sinus tachy", None
    )
    assert [s.how for s in reading.statements] == [scoring.PICKED] + [scoring.EXACT] * 4
    assert reading.codes == ("SR", "AFIB", "AFLT", "STACH")  # distinct, in the order given
    subclass = scoring.read_answer("subclass", [], "LBBB", None)
    assert subclass.codes == ("CLBBB",)  # a clinician's abbreviation of a class of this task
    superclass = scoring.read_answer("superclass", [], "complete left bundle branch block", None)
    assert superclass.codes == ("CD",)  # a wording of the class in the clinician prompt set


def test_every_class_name_reads_as_itself() -> None:
    for task in deck.TEACHING_TASKS:
        names = class_names(task)
        reading = scoring.read_answer(task, [], "\n".join(names), None)
        assert sorted(reading.codes) == sorted(task_labels()[task])
        assert len(TASK_CLASSES[task]) == len(names)


def test_without_a_matcher_unknown_words_are_not_read() -> None:
    reading = scoring.read_answer("superclass", [], "banana, kitchen table", None)
    assert reading.codes == ()
    assert reading.unread == ("banana", "kitchen table")
    assert all(s.how == scoring.NOT_READ for s in reading.statements)


def test_closest_wording_obeys_its_limits(tiny_model) -> None:  # noqa: ANN001
    def similarity(texts: list[str], phrases: list[str]):  # noqa: ANN202
        return phrase_similarities(tiny_model, texts, phrases)

    text = "broad complexes, banana, inverted waves"
    never = scoring.read_answer("superclass", [], text, scoring.WordMatcher(similarity, 1.01))
    assert never.codes == ()  # no cosine reaches 1.01
    assert all(s.similarity is not None and s.wording for s in never.statements)  # shown anyway
    loose = scoring.read_answer("superclass", [], text, scoring.WordMatcher(similarity, -1.0))
    for statement in loose.statements:
        if statement.how == scoring.CLOSEST:
            assert statement.similarity >= scoring.MIN_READ_COSINE
            assert scoring.class_wordings("superclass")[statement.wording] == statement.code


@pytest.mark.parametrize(
    ("learner", "reference", "model_top", "learner_right", "model_right"),
    [
        (("NORM",), ("NORM",), "NORM", True, True),
        (("MI", "CD"), ("MI", "CD", "STTC"), "HYP", True, False),  # a subset is right
        (("MI", "HYP"), ("MI",), "MI", False, True),  # one wrong class makes it wrong
        ((), ("MI",), "MI", False, True),  # nothing named is never right
    ],
)
def test_learner_and_model_are_scored_by_one_rule(
    learner, reference, model_top, learner_right, model_right
) -> None:  # noqa: ANN001
    score = scoring.score_case(learner, reference, model_top)
    assert score.learner_right is learner_right and score.model_right is model_right
    assert set(score.hits) | set(score.wrong) == set(learner)
    assert set(score.hits) | set(score.missed) == set(reference)


# --- the lesson ---


def test_a_lesson_commits_each_case_once_and_keeps_a_tally(tiny_model) -> None:  # noqa: ANN001
    current = lesson.start_lesson("superclass", 2, seed=0)
    with pytest.raises(LabelInputError, match="Commit"):
        lesson.advance(current)
    results = []
    for _ in range(2):
        case = current.current
        record = deck.load_case_record(case)
        with pytest.raises(LabelInputError, match="pick at least one class"):
            lesson.assess_case(tiny_model, record, case, "superclass", [], "banana")
        reference_name = task_labels()["superclass"][case.labels["superclass"][0]]
        result = lesson.assess_case(tiny_model, record, case, "superclass", [reference_name], "")
        assert result.score.learner_right  # the reference class itself
        assert {r.candidate for r in result.ranking} == set(class_names("superclass"))
        top = result.ranking[0].candidate
        assert result.score.model_right == (
            next(c for c, n in task_labels()["superclass"].items() if n == top)
            in case.labels["superclass"]
        )
        current = lesson.commit(current, result)
        assert current.committed and current.result is result
        with pytest.raises(LabelInputError, match="already"):
            lesson.commit(current, result)
        results.append(result)
        current = lesson.advance(current)
    assert current.finished and current.current is None
    tally = lesson.tally(current.results)
    assert tally.cases == 2 and tally.learner_right == 2
    assert tally.model_right == sum(r.score.model_right for r in results)
    assert tally.model_wrong == 2 - tally.model_right


# --- the page ---


@pytest.mark.usefixtures("tiny_app_env")
def test_teaching_page_walks_a_session_without_any_upload() -> None:
    at = AppTest.from_file(str(REPO / "pages" / "8_Teaching.py"), default_timeout=60).run()
    assert not at.exception and not at.error
    at.number_input(key=keys.W_TEACH_CASES).set_value(2)
    at.button(key=keys.W_TEACH_START).click().run()
    assert not at.exception and not at.error
    assert "Case 1 of 2" in element_texts(at.subheader)
    assert "Reference" not in element_texts(at.markdown)  # nothing is revealed before committing

    at.button(key=keys.W_TEACH_COMMIT).click().run()  # nothing given: a plain message
    assert "pick at least one class" in element_texts(at.error)

    current = at.session_state[session.KEY_LESSON]
    at.text_area(key=f"{keys.W_TEACH_TEXT}.1.{current.cases[0].case_id}").input(
        "normal ECG, banana"
    )
    at.button(key=keys.W_TEACH_COMMIT).click().run()
    assert not at.exception and not at.error
    shown = element_texts(at.markdown)
    assert "Reference" in shown and "You:" in shown
    reading = at.dataframe[0].value  # your reading, then the ranking
    assert list(reading["you gave"]) == ["normal ECG", "banana"]
    assert list(reading["read as"])[1] == "not read"
    assert set(at.dataframe[1].value["class"]) == set(class_names("superclass"))
    assert current.cases[0].title in shown  # the case is named only now

    at.button(key=keys.W_TEACH_NEXT).click().run()
    assert "Case 2 of 2" in element_texts(at.subheader)
    at.multiselect(key=f"{keys.W_TEACH_PICKS}.2.{current.cases[1].case_id}").select(
        "myocardial infarction"
    )
    at.button(key=keys.W_TEACH_COMMIT).click().run()
    at.button(key=keys.W_TEACH_NEXT).click().run()
    assert not at.exception and not at.error
    summary = at.dataframe[0].value
    assert len(summary) == 2
    tally = at.session_state[session.KEY_LESSON]
    right = lesson.tally(tally.results).learner_right
    assert f"{right} of 2" in element_texts(at.metric)
