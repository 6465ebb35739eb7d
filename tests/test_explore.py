"""The explore page's helpers: test-split predictions on real PTB-XL, metrics, saved predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import DataError
from mets_core.evaluate import explore, explore_mitbih

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PTBXL = DATA / "ptb-xl"
MITBIH = DATA / "mit-bih"


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ecg_id": [1, 2, 3, 4],
            "true": ["NORM", "MI", "MI;STTC", "NORM"],
            "predicted": ["NORM", "NORM", "STTC", "NORM"],
            "p_NORM": [0.8, 0.6, 0.1, 0.7],
            "p_MI": [0.1, 0.3, 0.2, 0.2],
            "p_STTC": [0.1, 0.1, 0.7, 0.1],
        }
    )


def test_metrics_count_single_label_records_and_hits() -> None:
    table = _table()
    table["correct"] = [True, False, True, True]
    metrics = explore.compute_metrics(table)
    assert metrics.n_single_label == 3
    assert int(metrics.confusion.sum()) == 3
    norm, mi = metrics.class_codes.index("NORM"), metrics.class_codes.index("MI")
    assert metrics.confusion[norm, norm] == 2 and metrics.confusion[mi, norm] == 1
    assert metrics.accuracy == pytest.approx(0.75)
    assert all(0.0 <= value <= 1.0 for value in metrics.auroc.values())


def test_read_predictions_adds_correct_and_rejects_other_tables(tmp_path: Path) -> None:
    path = tmp_path / "predictions.csv"
    _table().to_csv(path, index=False)
    table = explore.read_predictions(path)
    assert table["correct"].tolist() == [True, False, True, True]
    bad = tmp_path / "metrics.csv"
    pd.DataFrame({"class": ["NORM"], "auroc": [0.9]}).to_csv(bad, index=False)
    with pytest.raises(DataError, match="ecg_id"):
        explore.read_predictions(bad)


def test_class_prompts_cover_every_class_without_duplicates() -> None:
    for task, classes in TASK_CLASSES.items():
        texts = explore.class_prompts(task)
        assert list(texts) == list(classes)
        assert len({t.lower() for t in texts.values()}) == len(classes)
    with pytest.raises(DataError, match="superclass"):
        explore.class_prompts("diagnosis")


@pytest.mark.skipif(not PTBXL.is_dir(), reason=f"PTB-XL copy not found at {PTBXL}")
def test_predict_test_split_on_real_ptbxl(tiny_model) -> None:  # noqa: ANN001
    calls: list[tuple[int, int]] = []
    table = explore.predict_test_split(
        tiny_model, PTBXL, "superclass", 3, lambda done, total: calls.append((done, total))
    )
    assert len(table) == 3 and calls[-1] == (3, 3)
    probabilities = table[[f"p_{c}" for c in TASK_CLASSES["superclass"]]].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert set(table["predicted"]) <= set(TASK_CLASSES["superclass"])
    assert all(set(t.split(";")) <= set(TASK_CLASSES["superclass"]) for t in table["true"])


@pytest.mark.skipif(not MITBIH.is_dir(), reason=f"MIT-BIH copy not found at {MITBIH}")
def test_predict_mitbih_beats_on_real_data_and_reopen_a_beat(tiny_model) -> None:  # noqa: ANN001
    calls: list[tuple[int, int]] = []
    table = explore_mitbih.predict_mitbih_beats(
        tiny_model, MITBIH, 1, 0, lambda done, total: calls.append((done, total))
    )
    codes = list(explore_mitbih.beat_prompts())
    assert codes == ["N", "L", "R", "A", "V"]
    assert table["true"].tolist() == codes and calls[-1] == (5, 5)  # one beat per class
    probabilities = table[[f"p_{c}" for c in codes]].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert (table["correct"] == (table["predicted"] == table["true"])).all()
    metrics = explore.compute_metrics(table)
    assert metrics.n_single_label == 5 and set(metrics.auroc) == set(codes)

    beat_id = table["ecg_id"].iloc[-1]
    opened = explore_mitbih.open_beat(MITBIH, beat_id)
    assert opened.record.fs_hz == 360 and opened.record.signal.shape[1] == 1800  # 5 s
    assert "II" in opened.record.lead_names and "beat class: V" in opened.reference
    assert opened.candidates == tuple(explore_mitbih.beat_prompts().values())


@pytest.mark.skipif(not MITBIH.is_dir(), reason=f"MIT-BIH copy not found at {MITBIH}")
@pytest.mark.parametrize(
    ("beat_id", "expected"),
    [
        ("119", "record:sample"),
        ("119:1", "no beat annotated"),
        ("999:100", "999"),
        ("100:77", "edge"),
    ],
)
def test_open_beat_rejects_bad_ids(beat_id: str, expected: str) -> None:
    with pytest.raises(DataError, match=expected):
        explore_mitbih.open_beat(MITBIH, beat_id)


def test_open_ptbxl_record_rejects_a_beat_id() -> None:
    with pytest.raises(DataError, match="ecg_id"):
        explore.open_ptbxl_record(PTBXL, "superclass", "119:12345")


# --- issue 15 item 12: clicked cells and rows, the marked beat, what a run used ---


def test_a_clicked_cell_lists_exactly_its_single_label_records() -> None:
    table = _table()
    metrics = explore.compute_metrics(table)
    for r, reference in enumerate(metrics.class_codes):
        for c, predicted in enumerate(metrics.class_codes):
            cell = explore.cell_records(table, reference, predicted)
            assert len(cell) == metrics.confusion[r, c]  # the count the cell shows
            assert (cell["predicted"] == predicted).all() and (cell["true"] == reference).all()
    assert explore.cell_records(table, "MI", "STTC").empty  # "MI;STTC" is not single-label


def test_macro_auroc_is_the_mean_of_the_class_aurocs() -> None:
    metrics = explore.compute_metrics(_table())
    assert metrics.macro_auroc == pytest.approx(np.mean(list(metrics.auroc.values())))


def test_confusion_cells_are_clickable_markers_with_their_counts() -> None:
    from mets_core.app.charts import plot_confusion_matrix

    counts = [[5, 1, 0], [0, 4, 2], [3, 0, 7]]
    names = ["NORM", "MI", "CD"]
    figure = plot_confusion_matrix(counts, names)
    cells = figure.data[1]
    assert len(cells.x) == 9
    for x, y, (count, _) in zip(cells.x, cells.y, cells.customdata, strict=True):
        assert count == counts[names.index(y)][names.index(x)]  # y = reference, x = predicted


def test_run_descriptions_name_prompts_template_and_metric() -> None:
    live = explore.describe_live_run("The report of the ECG is that {}.", "rhythm")
    assert "The report of the ECG is that {}." in live and "plain" in live and "AUROC" in live
    saved = explore.describe_predictions_file(Path("results/serving_rhythm.csv"))
    assert "mets select" in saved and "AUROC" in saved
    assert "mets evaluate" in explore.describe_predictions_file(Path("predictions_form.csv"))


@pytest.mark.skipif(not MITBIH.is_dir(), reason=f"MIT-BIH copy not found at {MITBIH}")
def test_an_opened_beat_marks_where_the_annotation_lies() -> None:
    import wfdb

    from mets_core.app.charts import plot_beat_window

    for beat_id in ("119:68400", "100:2044"):
        record_name, _, sample = beat_id.partition(":")
        annotation = wfdb.rdann(str(MITBIH / record_name), "atr")
        beat_sample = int(annotation.sample[np.argmin(np.abs(annotation.sample - int(sample)))])
        opened = explore_mitbih.open_beat(MITBIH, f"{record_name}:{beat_sample}")
        full, _ = wfdb.rdsamp(
            str(MITBIH / record_name), sampfrom=beat_sample, sampto=beat_sample + 1
        )
        at = int(round(opened.beat_s * opened.record.fs_hz))
        assert np.allclose(opened.record.signal[:, at], full[0], atol=1e-6)  # the same sample
        assert opened.beat_label.startswith("annotated beat: ")
        figure = plot_beat_window(opened.record, opened.beat_s, opened.beat_label)
        assert len(figure.data) == opened.record.n_leads
        assert {shape.x0 for shape in figure.layout.shapes} == {opened.beat_s}
