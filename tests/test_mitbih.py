"""MIT-BIH beat sampling and windows on the real database (skipped when it is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from mets_core.config import PreprocessConfig
from mets_core.data.mitbih import (
    MITBIH_CLASSES,
    PACED_RECORDS,
    beat_pools,
    beat_windows,
    draw_beats,
    read_beat_record,
)
from mets_core.errors import DataError
from mets_core.leads import STANDARD_12_LEADS

MITBIH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mit-bih"
pytestmark = pytest.mark.skipif(
    not (MITBIH / "RECORDS").is_file(), reason=f"MIT-BIH data not found at {MITBIH}"
)


@pytest.fixture(scope="module")
def pools():
    return beat_pools(MITBIH, window_s=5.0)


@pytest.fixture(scope="module")
def sample(pools):
    return draw_beats(pools, per_class=4, seed=3, window_s=5.0)


def test_sample_has_each_class_seeded_and_no_paced_record(pools, sample):
    symbols = [b.symbol for b in sample.beats]
    assert {s: symbols.count(s) for s in MITBIH_CLASSES} == dict.fromkeys(MITBIH_CLASSES, 4)
    assert not {b.record for b in sample.beats} & set(PACED_RECORDS)
    assert all(sample.available[c] >= 4 for c in MITBIH_CLASSES)
    assert draw_beats(pools, per_class=4, seed=3).beats == sample.beats
    assert draw_beats(pools, per_class=4, seed=4).beats != sample.beats
    assert sum(sample.available.values()) > 90_000  # ~99k N/L/R/A/V beats outside paced records


def test_beat_record_is_centred_on_the_annotation_with_standard_leads(sample):
    beat = sample.beats[0]
    record = read_beat_record(MITBIH, beat, window_s=5.0)
    assert set(record.lead_names) <= set(STANDARD_12_LEADS)
    assert record.fs_hz == 360.0 and record.n_samples == 1800
    at_beat, _ = wfdb.rdsamp(
        str(MITBIH / beat.record), sampfrom=beat.sample, sampto=beat.sample + 1
    )
    np.testing.assert_allclose(record.signal[:, 900], at_beat[0], atol=1e-6)
    annotation = wfdb.rdann(str(MITBIH / beat.record), "atr")
    assert beat.symbol == annotation.symbol[list(annotation.sample).index(beat.sample)]


def test_beat_windows_place_leads_by_name_and_pad_to_the_model_window(sample):
    config = PreprocessConfig()
    beats = sample.beats[:3]
    windows = beat_windows(MITBIH, beats, config, window_s=5.0)
    assert windows.shape == (3, 12, config.window_samples) and windows.dtype == np.float32
    for beat, window in zip(beats, windows, strict=True):
        names = read_beat_record(MITBIH, beat).lead_names
        present = [STANDARD_12_LEADS.index(n) for n in names]
        assert np.abs(window[present, :500]).max(axis=1).min() > 0.05  # mV of real signal
        absent = [i for i in range(12) if i not in present]
        assert not window[absent].any()
        assert not window[:, 500:].any()  # 5 s at 100 Hz, zero-padded to 10 s


def test_a_window_longer_than_the_model_window_is_refused(sample):
    with pytest.raises(DataError, match="beat window"):
        beat_windows(MITBIH, sample.beats[:1], PreprocessConfig(), window_s=12.0)
