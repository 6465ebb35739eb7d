"""R-peak markers (issue 15 item 3): the tracing marks the beats the measurements use, on the QRS.

Checked against the MIT-BIH reference beat annotations (cardiologists' `.atr` files), against the
heart rate and RR the recording devices state in the format samples, and in the signal view,
whose markers must be exactly `Measurements.r_peaks_s`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mets_core.io.examples import load_example
from mets_core.io.load import load_record
from mets_core.signal.display_filter import filter_for_display
from mets_core.signal.measurements import measure_intervals

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
MITBIH = DATA / "mit-bih"
FORMATS = DATA / "formats"
# MIT-BIH beat annotation codes (the non-beat codes mark rhythm changes, noise, artefacts)
BEAT_CODES = set("NLRBAaJSVrFejnE/fQ")
TOLERANCE_S = 0.05  # a marker within 50 ms of the annotated beat (the usual QRS-detector window)
EXCERPT_S = 120.0  # the first two minutes of each record keep the test short
# normal, PVCs, RBBB/LBBB-like morphology, noise and ectopy, paced-free: a spread of hard cases
RECORDS = ("100", "101", "105", "106", "119", "200", "203", "208", "210", "214")


def _reference_beats_s(name: str, stop_s: float) -> np.ndarray:
    import wfdb

    annotation = wfdb.rdann(str(MITBIH / name), "atr", sampto=int(stop_s * 360))
    samples = [s for s, code in zip(annotation.sample, annotation.symbol, strict=True)]
    beats = [s for s, c in zip(samples, annotation.symbol, strict=True) if c in BEAT_CODES]
    return np.asarray(beats, dtype=float) / annotation.fs


def _nearest_s(times: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each time, the distance to the nearest target (s)."""
    index = np.clip(np.searchsorted(targets, times), 1, len(targets) - 1)
    return np.minimum(np.abs(targets[index] - times), np.abs(targets[index - 1] - times))


@pytest.mark.skipif(not MITBIH.is_dir(), reason=f"{MITBIH} not found")
@pytest.mark.parametrize("name", RECORDS)
def test_markers_sit_on_the_annotated_beats_of_mitbih(name):
    full = load_record(MITBIH / f"{name}.hea")
    n = int(EXCERPT_S * full.fs_hz)
    record = replace(full, signal=np.ascontiguousarray(full.signal[:, :n]))
    markers = np.asarray(measure_intervals(record, lead="II").r_peaks_s)
    reference = _reference_beats_s(name, EXCERPT_S)
    inner = lambda t: t[(t > 0.3) & (t < EXCERPT_S - 0.3)]  # noqa: E731 (beats cut by the excerpt)
    found = _nearest_s(inner(reference), markers) <= TOLERANCE_S
    true = _nearest_s(inner(markers), reference) <= TOLERANCE_S
    assert found.mean() >= 0.95, f"{name}: {found.mean():.1%} of annotated beats marked"
    assert true.mean() >= 0.9, f"{name}: {true.mean():.1%} of markers on an annotated beat"


def _device_files() -> list[Path]:
    files = sorted(p for p in FORMATS.rglob("*") if p.suffix.lower() in (".xml", ".dcm"))
    return [p for p in files if "ventricular rate (bpm)" in load_record(p).file_info]


@pytest.mark.skipif(not FORMATS.is_dir(), reason=f"{FORMATS} not found")
def test_marker_rate_agrees_with_the_devices_of_the_format_samples():
    files = _device_files()
    assert len(files) >= 8
    differences = []
    for path in files:
        record = load_record(path)
        markers = np.asarray(measure_intervals(record).r_peaks_s)
        rate_bpm = 60.0 / float(np.mean(np.diff(markers)))
        stated = float(record.file_info["ventricular rate (bpm)"])
        differences.append(abs(rate_bpm - stated))
        if "RR interval (ms)" in record.file_info:
            rr_ms = 1000.0 * float(np.mean(np.diff(markers)))
            assert abs(rr_ms - float(record.file_info["RR interval (ms)"])) <= 60, path.name
    assert float(np.median(differences)) <= 2.0, differences
    assert max(differences) <= 8.0, differences


def test_normal_example_marks_every_qrs_and_no_t_wave():
    record = load_example("ptbxl_normal")
    markers = np.asarray(measure_intervals(record).r_peaks_s)
    # issue 15: markers sat on T waves at 0.416 s and 2.584 s, and the QRS at 0.11 s had none
    assert markers[0] < 0.2
    assert _nearest_s(np.array([0.416, 2.584]), markers).min() > 0.2
    rr = np.diff(markers)
    assert rr.min() > 0.8 * np.median(rr)  # one marker per beat, none in between
    # each marker is on the top of the R wave as displayed (zero-phase diagnostic filter), not
    # beside it: the sample is the tallest within 60 ms, to one sample (2 ms)
    shown = filter_for_display(record.lead("II"), fs_hz=record.fs_hz, mode="diagnostic")
    centred = np.abs(shown - np.median(shown))
    half = int(0.06 * record.fs_hz)
    for t in markers:
        i = int(round(t * record.fs_hz))
        top = max(i - half, 0) + int(np.argmax(centred[max(i - half, 0) : i + half + 1]))
        assert abs(top - i) <= 1, (t, top / record.fs_hz)


def test_signal_view_draws_exactly_the_measured_peaks():
    from streamlit.testing.v1 import AppTest

    from mets_core.app import session

    record = load_example("ptbxl_normal")
    at = AppTest.from_file(str(REPO / "pages" / "3_Signal_View.py"), default_timeout=60)
    at.session_state[session.KEY_RECORD] = record
    at.run()
    assert not at.exception, at.exception
    figure = _paper_figure(at)
    drawn = [t for t in figure["data"] if t.get("name") == "R-peaks"]
    assert len(drawn) == 1
    measured = measure_intervals(record).r_peaks_s
    xs = sorted(set(np.round(drawn[0]["x"], 6)))
    assert xs == sorted(set(np.round(measured, 6)))


def _paper_figure(at) -> dict:
    import json

    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if any(t.get("name") == "R-peaks" for t in spec["data"]):
            return spec
    raise AssertionError("no paper figure with R-peak markers on the page")
