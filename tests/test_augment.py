"""Site-robustness augmentations (issue 13): one property per augmentation, and the preprocessing
facts they are built on (what survives of mains hum after `preprocess_for_model`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mets_core.config import PreprocessConfig
from mets_core.record import ECGRecord
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.train.augment import (
    ROBUST_AUGMENT,
    AugmentConfig,
    augment_batch,
    surviving_mains_gain,
)

FS_HZ = 100.0
# Everything of the shipped recipe off, so each test sees one augmentation alone.
ONLY = AugmentConfig(crop_p=0.0, scale_range=(1.0, 1.0), noise_std_mv=0.0, lead_drop_p=0.0,
                     few_leads_p=0.0)  # fmt: skip


def _only(**fields) -> AugmentConfig:
    from dataclasses import replace

    return replace(ONLY, **fields)


def _ecg_like(b: int = 16, seed: int = 0) -> torch.Tensor:
    """(B, 12, 1000): a 1 Hz spike train (beats) plus a little noise, mV."""
    t = torch.arange(1000) / FS_HZ
    beats = torch.sin(torch.pi * t) ** 40  # one narrow peak per second
    noise = 0.01 * torch.randn(b, 12, 1000, generator=torch.Generator().manual_seed(seed))
    return beats[None, None, :] + noise


def _power(x: torch.Tensor, low_hz: float, high_hz: float) -> float:
    spectrum = torch.fft.rfft(x, dim=-1).abs() ** 2
    freqs = torch.fft.rfftfreq(x.shape[-1], d=1.0 / FS_HZ)
    return float(spectrum[..., (freqs >= low_hz) & (freqs <= high_hz)].sum())


def _run(x: torch.Tensor, cfg: AugmentConfig, seed: int = 0) -> torch.Tensor:
    return augment_batch(x, cfg, FS_HZ, torch.Generator().manual_seed(seed))


def test_new_fields_off_draw_nothing_and_change_nothing():
    x = _ecg_like()
    standard = _run(x, AugmentConfig(), seed=4)
    strengths_only = AugmentConfig(wander_max_mv=9.0, emg_max_mv=9.0, warp_range=(0.5, 2.0))
    assert torch.equal(standard, _run(x, strengths_only, seed=4))


def test_robust_augmentation_is_reproducible_and_keeps_shape():
    x = _ecg_like()
    first, second = _run(x, ROBUST_AUGMENT, 3), _run(x, ROBUST_AUGMENT, 3)
    assert first.shape == x.shape and torch.equal(first, second)
    assert not torch.equal(first, _run(x, ROBUST_AUGMENT, 4))


def test_zero_rows_stay_zero_under_every_site_augmentation():
    x = _ecg_like()
    x[:, 3] = 0.0  # a missing lead
    x[0] = 0.0  # a record with no signal at all
    out = _run(x, _only(warp_p=1, band_limit_p=1, lead_gain_p=1, wander_p=1, emg_p=1, mains_p=1))
    assert torch.equal(out[:, 3], torch.zeros_like(out[:, 3]))
    assert torch.equal(out[0], torch.zeros_like(out[0]))
    assert (out[1:, 0] != x[1:, 0]).any()


def test_sixty_hz_mains_appears_at_its_40_hz_alias_fifty_hz_is_removed_by_cleaning():
    x = 1e-3 * torch.randn(8, 12, 1000, generator=torch.Generator().manual_seed(0))
    sixty = _run(x, _only(mains_p=1, mains_hz=(60.0,), mains_jitter_hz=0.0)) - x
    spectrum = torch.fft.rfft(sixty, dim=-1).abs().mean(dim=(0, 1))
    freqs = torch.fft.rfftfreq(1000, d=1.0 / FS_HZ)
    assert float(freqs[spectrum.argmax()]) == pytest.approx(40.0)
    fifty = _run(x, _only(mains_p=1, mains_hz=(50.0,), mains_jitter_hz=0.5)) - x
    assert float(fifty.abs().max()) < 0.01 * float(sixty.abs().max())


def test_surviving_mains_gain_matches_the_model_preprocessing():
    """A 100 Hz file whose device aliased 60 Hz hum to 40 Hz: the cleaner leaves the predicted
    fraction; a 500 Hz upload's hum is removed before the model whatever its frequency."""
    config = PreprocessConfig()
    n = 1000
    t = np.arange(n) / 100.0
    hum = np.sin(2 * np.pi * 60.0 * t).astype(np.float32)  # sampled at 100 Hz: a 40 Hz tone
    out = preprocess_for_model(ECGRecord(hum[None], 100.0, ("II",)), config).windows[0, 1]
    measured = np.abs(np.fft.rfft(out[200:800] * np.hanning(600)))[240] * 2 / (600 * 0.5)
    assert measured == pytest.approx(surviving_mains_gain(60.0, 100.0, 50.0), rel=0.15)
    t500 = np.arange(5000) / 500.0
    for mains_hz in (50.0, 60.0):
        raw = np.sin(2 * np.pi * mains_hz * t500).astype(np.float32)
        seen = preprocess_for_model(ECGRecord(raw[None], 500.0, ("II",)), config).windows[0, 1]
        amplitude = np.abs(np.fft.rfft(seen[200:800] * np.hanning(600))) * 2 / (600 * 0.5)
        assert amplitude[6 * 30 :].max() < 0.01  # 30-50 Hz: under 1 % of the 1 mV hum


def test_baseline_wander_adds_energy_below_half_a_hertz():
    x = _ecg_like()
    out = _run(x, _only(wander_p=1, wander_max_mv=2.0))
    assert _power(out, 0.05, 0.5) > 2 * _power(x, 0.05, 0.5)
    assert _power(out, 5.0, 50.0) == pytest.approx(_power(x, 5.0, 50.0), rel=0.05)


def test_emg_adds_broadband_high_frequency_noise_in_bursts():
    x = _ecg_like()
    added = _run(x, _only(emg_p=1, emg_max_mv=0.2)) - x
    assert _power(added, 20.0, 45.0) > 50 * _power(added, 0.0, 15.0)
    quiet = (added.abs().amax(dim=1) == 0).float().mean(dim=1)  # outside the burst per ECG
    assert (quiet > 0.2).all()


def test_lead_gain_scales_each_lead_by_its_own_constant_factor():
    x = _ecg_like() + 1.0  # no zero crossings, so ratios are defined
    out = _run(x, _only(lead_gain_p=1, lead_gain_range=(0.5, 2.0)))
    ratio = out / x
    assert torch.allclose(ratio, ratio[:, :, :1].expand_as(ratio), atol=1e-5)
    per_lead = ratio[:, :, 0]
    assert (per_lead >= 0.5 - 1e-6).all() and (per_lead <= 2.0 + 1e-6).all()
    assert (per_lead.std(dim=1) > 0.05).all()


def _beat_spacing(x: torch.Tensor) -> float:
    """Median samples between the spikes of lead 0 of ECG 0."""
    signal = x[0, 0]
    peaks = (
        ((signal[1:-1] > signal[:-2]) & (signal[1:-1] >= signal[2:]) & (signal[1:-1] > 0.5))
        .nonzero()
        .flatten()
    )
    return float(peaks.diff().float().median())


@pytest.mark.parametrize("factor", [0.87, 1.13])
def test_time_warp_changes_the_beat_spacing_by_its_factor(factor):
    x = _ecg_like(b=2)
    out = _run(x, _only(warp_p=1, warp_range=(factor, factor)))
    assert _beat_spacing(x) == pytest.approx(100.0, abs=1)
    assert _beat_spacing(out) == pytest.approx(100.0 / factor, abs=1.5)
    if factor > 1:  # read past the end: zero-padded, like a short upload
        assert torch.equal(out[:, :, -50:], torch.zeros_like(out[:, :, -50:]))


def test_band_limit_removes_high_frequencies_and_keeps_low_ones():
    x = _ecg_like()
    out = _run(x, _only(band_limit_p=1, band_limit_hz=(25.0, 25.0)))
    assert _power(out, 40.0, 50.0) < 0.1 * _power(x, 40.0, 50.0)
    assert _power(out, 0.0, 10.0) == pytest.approx(_power(x, 0.0, 10.0), rel=0.05)
