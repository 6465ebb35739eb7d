"""Search-hit thumbnails: one lead as one SVG on standard paper, the lead chosen by name, the trace
clipped and in sample order, text escaped, bad input refused."""

from __future__ import annotations

from xml.etree import ElementTree

import numpy as np
import pytest

from mets_core.app.paper import display_step
from mets_core.app.thumbnails import (
    THUMBNAIL_PAPER,
    THUMBNAIL_PX_PER_MM,
    THUMBNAIL_RANGE_MV,
    svg_title,
    thumbnail_lead,
    thumbnail_svg,
)
from mets_core.errors import ECGInputError
from mets_core.record import ECGRecord

NS = "{http://www.w3.org/2000/svg}"


def _points(svg: ElementTree.Element) -> np.ndarray:
    """(N, 2) x, y of the one polyline, in px."""
    (line,) = svg.iter(f"{NS}polyline")
    return np.array([p.split(",") for p in line.get("points").split()], dtype=float)


def _px_per_s_and_mv() -> tuple[float, float]:
    return (
        THUMBNAIL_PAPER.speed_mm_s * THUMBNAIL_PX_PER_MM,
        THUMBNAIL_PAPER.gain_mm_mv * THUMBNAIL_PX_PER_MM,
    )


def test_thumbnail_is_one_svg_of_lead_ii_for_ten_seconds_in_sample_order(ecg_12_lead):
    record = ecg_12_lead
    svg = ElementTree.fromstring(thumbnail_svg(record, duration_s=10.0))
    width, height = float(svg.get("width")), float(svg.get("height"))
    px_per_s, px_per_mv = _px_per_s_and_mv()
    shown_s = min(10.0, record.n_samples / record.fs_hz)
    assert width == pytest.approx(shown_s * px_per_s, abs=0.1)
    low, high = THUMBNAIL_RANGE_MV
    assert height == pytest.approx((high - low) * px_per_mv, abs=0.1)
    assert svg.find(f"{NS}text").text == "II"
    assert "lead II" in svg_title(ElementTree.tostring(svg, encoding="unicode"))
    points = _points(svg)
    assert len(points) == len(range(0, round(shown_s * record.fs_hz), display_step(record.fs_hz)))
    assert (points[:, 0] >= 0).all() and (points[:, 0] <= width).all()
    assert (points[:, 1] >= 0).all() and (points[:, 1] <= height).all()
    assert (np.diff(points[:, 0]) > 0).all()  # left to right, one point per sample
    lead_ii = record.lead("II")[: len(points)]
    # up on paper is down in SVG: the trace follows the samples (those inside the drawn range)
    centred = lead_ii - np.median(lead_ii)
    inside = (centred > low) & (centred < high)
    assert np.corrcoef(-points[inside, 1], centred[inside])[0, 1] > 0.999


def test_a_tall_wave_is_clipped_and_a_fast_record_decimated():
    fs_hz = 1000.0
    signal = np.zeros((1, 2000), np.float32)
    signal[0, 500:520] = 4.0  # a 4 mV spike, above the 1.5 mV the thumbnail shows
    signal[0, 1500:1520] = -3.0
    svg = ElementTree.fromstring(thumbnail_svg(ECGRecord(signal, fs_hz, ("II",))))
    points = _points(svg)
    assert len(points) == 1000  # 1000 Hz is drawn at every 2nd sample (display_step)
    low, high = THUMBNAIL_RANGE_MV
    _, px_per_mv = _px_per_s_and_mv()
    assert points[:, 1].min() == pytest.approx(0.0, abs=0.1)  # the top edge, 1.5 mV
    assert points[:, 1].max() == pytest.approx((high - low) * px_per_mv, abs=0.1)  # -1 mV


def test_grid_patterns_are_1_mm_and_5_mm_at_25_mm_s_and_10_mm_mv(ecg_12_lead):
    svg = ElementTree.fromstring(thumbnail_svg(ecg_12_lead))
    patterns = {p.get("id"): p for p in svg.iter(f"{NS}pattern")}
    px_per_s, px_per_mv = _px_per_s_and_mv()
    # 1 mm of paper is 0.04 s across and 0.1 mV up; 5 mm is 0.2 s and 0.5 mV
    assert float(patterns["minor"].get("width")) == pytest.approx(0.04 * px_per_s)
    assert float(patterns["minor"].get("height")) == pytest.approx(0.1 * px_per_mv)
    assert float(patterns["major"].get("width")) == pytest.approx(0.2 * px_per_s)
    assert float(patterns["major"].get("height")) == pytest.approx(0.5 * px_per_mv)
    # 0 mV lies on a major line: the tile offset plus whole tiles reaches it
    zero_y = THUMBNAIL_RANGE_MV[1] * px_per_mv
    offset = float(patterns["major"].get("y", 0))
    assert (zero_y - offset) % float(patterns["major"].get("height")) == pytest.approx(0.0)
    fills = [r.get("fill") for r in svg.findall(f"{NS}rect")]
    assert "url(#minor)" in fills and "url(#major)" in fills


def test_a_lead_name_from_a_file_is_escaped():
    name = '<script>"x"&'
    svg = thumbnail_svg(ECGRecord(np.zeros((1, 500), np.float32), 100.0, (name,)))
    assert "<script>" not in svg
    parsed = ElementTree.fromstring(svg)
    assert parsed.find(f"{NS}text").text == name  # shown as the text it is
    assert name in svg_title(svg)


def test_thumbnail_falls_back_to_the_first_lead_and_refuses_an_empty_record():
    only_v5 = ECGRecord(np.zeros((1, 1000), np.float32), 100.0, ("V5",))
    assert thumbnail_lead(only_v5) == "V5"
    with pytest.raises(ECGInputError):
        thumbnail_svg(ECGRecord(np.zeros((1, 0), np.float32), 100.0, ("II",)))
