"""Search-hit thumbnails: one lead on standard paper, the lead chosen by name, bad input refused."""

from __future__ import annotations

import numpy as np
import pytest

from mets_core.app.thumbnails import THUMBNAIL_RANGE_MV, plot_thumbnail, thumbnail_lead
from mets_core.errors import ECGInputError
from mets_core.record import ECGRecord


def test_thumbnail_draws_lead_ii_for_ten_seconds_on_standard_paper(ecg_12_lead):
    record = ecg_12_lead
    figure = plot_thumbnail(record, duration_s=10.0)
    (trace,) = figure.data
    assert figure.layout.annotations[0].text == "II"
    np.testing.assert_allclose(trace.x[[0, -1]], [0.0, (record.n_samples - 1) / record.fs_hz])
    low, high = THUMBNAIL_RANGE_MV
    assert min(trace.y) >= low and max(trace.y) <= high
    # 1 mm is 0.04 s across and 0.1 mV up: 5 mm major grid lines
    assert figure.layout.xaxis.dtick == pytest.approx(0.2)
    assert figure.layout.yaxis.dtick == pytest.approx(0.5)


def test_thumbnail_falls_back_to_the_first_lead_and_refuses_an_empty_record():
    only_v5 = ECGRecord(np.zeros((1, 1000), np.float32), 100.0, ("V5",))
    assert thumbnail_lead(only_v5) == "V5"
    with pytest.raises(ECGInputError):
        plot_thumbnail(ECGRecord(np.zeros((1, 0), np.float32), 100.0, ("II",)))
