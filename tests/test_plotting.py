"""Figure properties: panels, calibration pulses, square millimetres, settings text, speed."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import plotly.graph_objects as go
import pytest

from mets_core.app.plotting import (
    plot_confusion_matrix,
    plot_ecg_paper,
    plot_lead_importance,
    plot_median_beats,
    plot_raw_vs_clean,
    plot_scores,
)
from mets_core.errors import ECGInputError
from mets_core.io.examples import load_example
from mets_core.signal.measurements import consensus_r_peaks, median_beats


@pytest.fixture(scope="module")
def record():
    return load_example("ptbxl_normal")  # 12 leads, 10 s, 500 Hz


def _signal_traces(fig: go.Figure, kind: str = "raw") -> list:
    return [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("kind") == kind]


def _annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


@pytest.mark.parametrize(
    ("layout", "panels", "rows"), [("3x4", 13, 4), ("6x2", 12, 6), ("12x1", 12, 12)]
)
def test_layouts_have_their_lead_panels_and_a_pulse_per_row(record, layout, panels, rows):
    fig = plot_ecg_paper(record, layout=layout)
    assert len(_signal_traces(fig)) == panels  # 3x4: 12 leads + lead II rhythm strip
    calibration = next(t for t in fig.data if t.name == "1 mV calibration")
    ys = [y for y in calibration.y if y is not None]
    assert len(ys) == 6 * rows
    heights = np.asarray(ys).reshape(rows, 6)
    assert np.allclose(heights.max(axis=1) - heights.min(axis=1), 1.0)  # 1 mV high
    assert len(fig.data) <= panels + 3  # light: one trace per panel + pulses + separators


def test_3x4_columns_show_true_time_and_rhythm_strip_is_full_length(record):
    fig = plot_ecg_paper(record)
    by_lead = {}
    for trace in _signal_traces(fig):
        by_lead.setdefault(trace.meta["lead"], []).append(trace)
    assert by_lead["I"][0].x[0] == 0.0 and by_lead["I"][0].x[-1] < 2.5
    assert 7.5 <= by_lead["V4"][0].x[0] < by_lead["V4"][0].x[-1] < 10.0
    strip = max(by_lead["II"], key=lambda t: len(t.x))
    assert strip.x[-1] > 9.9


@pytest.mark.parametrize(("speed", "gain"), [(25, 10), (50, 10), (25, 5), (25, 20)])
def test_one_millimetre_is_square(record, speed, gain):
    fig = plot_ecg_paper(record, speed_mm_s=speed, gain_mm_mv=gain)
    xaxis, yaxis = fig.layout.xaxis, fig.layout.yaxis
    assert yaxis.scaleanchor == "x"
    # 1 mm in x is 1/speed s; 1 mm in y is 1/gain mV; scaleratio = px per mV / px per s.
    assert yaxis.scaleratio * (1 / gain) == pytest.approx(1 / speed)
    assert xaxis.minor.dtick == pytest.approx(1 / speed) and xaxis.dtick == pytest.approx(5 / speed)
    assert yaxis.minor.dtick == pytest.approx(1 / gain) and yaxis.dtick == pytest.approx(5 / gain)


def test_settings_and_filter_are_printed(record):
    texts = _annotation_texts(plot_ecg_paper(record, filter_text="neurokit 0.5 Hz HP + 50 Hz"))
    assert any("25 mm/s · 10 mm/mV · Filter: neurokit 0.5 Hz HP + 50 Hz" in t for t in texts)
    raw = _annotation_texts(plot_ecg_paper(record, speed_mm_s=50, gain_mm_mv=5))
    assert any("50 mm/s · 5 mm/mV · Filter: none (raw signal)" in t for t in raw)


def test_missing_and_derived_leads_are_labelled(record):
    keep = [i for i, n in enumerate(record.lead_names) if n != "V3"]
    partial = dataclasses.replace(
        record,
        signal=record.signal[keep],
        lead_names=tuple(record.lead_names[i] for i in keep),
        derived_leads=("III",),
    )
    fig = plot_ecg_paper(partial)
    texts = _annotation_texts(fig)
    assert "V3 — missing" in texts and "III (derived)" in texts
    assert "V3" not in {t.meta["lead"] for t in _signal_traces(fig)}


def test_cleaned_overlay_and_r_peaks(record):
    cleaned = dataclasses.replace(
        record, signal=record.signal - record.signal.mean(axis=1)[:, None]
    )
    peaks = consensus_r_peaks(record)
    fig = plot_ecg_paper(record, cleaned=cleaned, overlay_raw=True, r_peaks_s={"II": peaks})
    assert len(_signal_traces(fig, "cleaned")) == len(_signal_traces(fig, "raw")) == 13
    markers = next(t for t in fig.data if t.name == "R-peaks")
    assert len(markers.x) >= len(peaks)  # the 3x4 lead II panel and the rhythm strip
    with pytest.raises(ECGInputError):
        plot_ecg_paper(record, cleaned=load_example("ptbxl_lvh"))  # 100 Hz: not the same record


def test_12_lead_10_s_500_hz_builds_fast(record):
    plot_ecg_paper(record)  # warm plotly's validators
    start = time.perf_counter()
    plot_ecg_paper(record, r_peaks_s={"II": consensus_r_peaks(record)})
    assert time.perf_counter() - start < 1.0


def test_two_lead_record_and_bad_settings():
    mitbih = load_example("mitbih_pvc")
    fig = plot_ecg_paper(mitbih)
    assert sum("missing" in t for t in _annotation_texts(fig)) == 10
    with pytest.raises(ECGInputError):
        plot_ecg_paper(mitbih, layout="4x3")


def test_small_figures(record):
    assert len(plot_raw_vs_clean(record, record, "V2").data) == 2
    medians = median_beats(record)
    fig = plot_median_beats(medians, record.fs_hz)
    assert len(fig.data) == 12 and fig.layout.yaxis12.scaleanchor == "x12"
    scores = plot_scores(["normal ECG", "AF", "LBBB"], [0.2, 0.4, 0.1], [0.3, 0.6, 0.1], 0.07)
    assert list(scores.data[1].y)[-1] == "AF"  # best candidate drawn on top
    assert "0.07" in scores.layout.title.text
    importance = plot_lead_importance(["I", "II"], [-0.05, 0.01])
    assert list(importance.data[0].marker.color) == ["#c0504d", "#8a8a8a"]
    confusion = plot_confusion_matrix([[5, 1], [0, 4]], ["NORM", "MI"])
    assert confusion.data[0].z[0][0] == pytest.approx(5 / 6)


# --- issue 15 items 2 and 7: display filter, pulse on the sheet, ordinals ---


def test_display_filter_is_named_and_capped_at_nyquist():
    from mets_core.signal.display_filter import describe_display_filter

    full = describe_display_filter("diagnostic", 500.0, 50.0)
    assert full.label == "diagnostic 0.05-150 Hz + 50 Hz notch" and full.note is None
    low = describe_display_filter("diagnostic", 100.0, 50.0)
    assert low.label.startswith("diagnostic 0.05-50 Hz") and "Nyquist" in low.note
    assert describe_display_filter("monitor", 500.0, 60.0).label.startswith("monitor 0.5 Hz")
    with pytest.raises(ECGInputError):
        describe_display_filter("sharpen", 500.0, 50.0)


def test_diagnostic_band_keeps_slow_st_shifts_that_monitor_mode_bends():
    from mets_core.signal.display_filter import filter_for_display

    fs_hz = 500.0
    t = np.arange(int(20 * fs_hz)) / fs_hz
    slow = 0.2 * np.sin(2 * np.pi * 0.3 * t)  # an ST-segment-scale slow wave, 0.2 mV
    mains = 0.1 * np.sin(2 * np.pi * 50 * t)
    core = slice(int(5 * fs_hz), int(15 * fs_hz))  # away from the edges

    def kept(x: np.ndarray, mode: str) -> float:
        out = filter_for_display((x + mains).astype(np.float32), fs_hz=fs_hz, mode=mode)
        return float(np.std(out[core]) / np.std(x[core]))

    assert kept(slow, "diagnostic") > 0.9  # 0.05 Hz high-pass: the slow wave stays
    assert kept(slow, "monitor") < 0.6  # 0.5 Hz high-pass: it is bent away
    fast = 0.2 * np.sin(2 * np.pi * 200 * t)  # above the 150 Hz edge
    assert kept(fast, "diagnostic") < 0.5


def test_philips_pulse_is_shaded_labelled_and_shown_after_10_s():
    from pathlib import Path

    from mets_core.io.load import load_record
    from mets_core.signal.calibration import PULSE_LABEL

    path = Path(__file__).resolve().parents[2] / "shared/data/formats/philips-xml/129DYPRG.XML"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    fig = plot_ecg_paper(load_record(path))
    assert any(PULSE_LABEL in text for text in _annotation_texts(fig))
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(shaded) == 1 and 10.4 < shaded[0].x0 < 10.7 and shaded[0].x1 == pytest.approx(11.0)
    assert fig.layout.xaxis.range[1] == pytest.approx(11.0)  # the last second is on the sheet
    assert not any("first 10 s" in text for text in _annotation_texts(fig))


def test_display_stride_uses_english_ordinals(record):
    from mets_core.app.paper import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 102)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "102nd"
    ]  # fmt: skip
    fast = dataclasses.replace(record, fs_hz=1000.0)
    assert any("display: every 2nd sample" in t for t in _annotation_texts(plot_ecg_paper(fast)))


def test_signal_view_defaults_to_the_diagnostic_band_and_names_it():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from mets_core.app import keys, session

    page = Path(__file__).resolve().parents[1] / "pages" / "3_Signal_View.py"
    at = AppTest.from_file(str(page), default_timeout=60)
    at.session_state[session.KEY_RECORD] = load_example("ptbxl_anterior_mi")  # 100 Hz
    at.run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Filter: diagnostic 0.05-50 Hz" in captions and "Nyquist" in captions
    at.radio(key=keys.W_DISPLAY_FILTER).set_value("monitor").run()
    assert "Filter: monitor 0.5 Hz high-pass" in " ".join(c.value for c in at.caption)
    at.radio(key=keys.W_TRACE).set_value("Raw").run()
    assert not at.exception
    assert "Filter: none (raw signal)" in " ".join(c.value for c in at.caption)
