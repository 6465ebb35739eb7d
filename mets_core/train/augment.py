"""Augmentations that make the model tolerate what users upload (training only).

Everything acts on a preprocessed (B, L, T) batch at the model rate (100 Hz), i.e. on what the
model sees *after* `preprocess_for_model` (resample, NeuroKit cleaning with its 0.5 Hz high-pass
and its powerline moving average). Site artefacts are therefore simulated as they survive that
preprocessing, not as they appear in the raw file:

- Mains hum. An upload at 120 Hz or more loses its hum in the resampler's anti-alias filter
  (measured: a 1 mV 50/60 Hz hum leaves under 0.01 mV in 30-50 Hz at 250-1000 Hz). Hum survives
  only in files already at the model rate, where the device aliased it: 60 Hz appears at
  100 - 60 = 40 Hz and is then attenuated by the cleaner's moving average run forward and
  backward (2 taps at 100 Hz for 50 Hz mains: gain cos^2(pi f / fs) = 0.095 at 40 Hz); 50 Hz
  sits at Nyquist, where that moving average has its zero, so almost nothing of it survives
  (off-nominal 49.5 Hz: gain 0.0002).
  `surviving_mains_gain` computes this; `tests/test_augment.py` checks it against
  `preprocess_for_model`.
- Baseline wander (0.05-0.5 Hz) is multiplied by the cleaner's high-pass response (Butterworth
  order 5 at 0.5 Hz, zero-phase), so mostly its upper part near 0.5 Hz reaches the model.
- EMG is broadband in the raw file; at 100 Hz only 20-50 Hz remains, shaped by the same moving
  average.

The old augmentations (crop, global gain, Gaussian noise, lead dropout, few leads) come first and
draw their random numbers in the same order as before, and every new one is off by default and
draws nothing when off, so `AugmentConfig()` reproduces the shipped recipe exactly. The new ones
are applied before the lead mask, so dropped leads stay zero rows, and additive artefacts only
where the ECG is (leads with signal, inside the crop), so zero rows and zero padding stay zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

CLEANER_HIGHPASS_HZ = 0.5  # NeuroKit "neurokit" cleaning: Butterworth high-pass cut-off, Hz
CLEANER_HIGHPASS_ORDER = 5  # ... its order; applied forward and backward (sosfiltfilt)


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentations that make the model tolerate what users upload (all probabilities per ECG).

    The first six fields are the shipped recipe; the rest default to off (probability 0).
    """

    crop_p: float = 0.5  # keep a random 5-10 s stretch, zero the rest (short uploads are padded)
    min_keep_s: float = 5.0
    scale_range: tuple[float, float] = (0.8, 1.25)  # amplitude gain factor
    noise_std_mv: float = 0.03  # max Gaussian noise sigma, mV
    lead_drop_p: float = 0.5  # drop a random subset of leads (zero rows, as the app's policy)
    few_leads_p: float = 0.15  # keep only 1-2 leads (MIT-BIH-like inputs)
    # Site robustness (issue 13), all off by default:
    warp_p: float = 0.0  # heart-rate / time warping: resample by a factor, crop or zero-pad
    warp_range: tuple[float, float] = (0.85, 1.15)  # time-scale factor (>1: faster rhythm)
    band_limit_p: float = 0.0  # low-pass like other devices' filters (zero-phase, in frequency)
    band_limit_hz: tuple[float, float] = (25.0, 40.0)  # low-pass cut-off range, Hz
    band_limit_order: int = 4  # Butterworth-like magnitude order of that low-pass
    lead_gain_p: float = 0.0  # per-lead gain (electrode contact, device calibration)
    lead_gain_range: tuple[float, float] = (0.8, 1.25)  # per-lead factor, log-uniform
    wander_p: float = 0.0  # baseline wander (breathing, movement), as it survives cleaning
    wander_hz: tuple[float, float] = (0.05, 0.5)  # wander frequency range, Hz
    wander_max_mv: float = 0.5  # max raw wander amplitude per component (2 components), mV
    emg_p: float = 0.0  # EMG-like broadband noise in bursts
    emg_band_hz: tuple[float, float] = (20.0, 50.0)  # EMG band left at the model rate, Hz
    emg_max_mv: float = 0.06  # max EMG standard deviation inside a burst, mV (before cleaning)
    mains_p: float = 0.0  # mains hum, as it survives the model's preprocessing
    mains_hz: tuple[float, ...] = (50.0, 60.0)  # mains frequencies, drawn with equal chance
    mains_jitter_hz: float = 0.5  # +- deviation of the grid frequency, Hz
    mains_max_mv: float = 0.5  # max raw hum amplitude in the uploaded file, mV
    cleaner_powerline_hz: float = 50.0  # = PreprocessConfig.powerline_hz (the cleaner's setting)


ROBUST_AUGMENT = AugmentConfig(
    warp_p=0.3,
    band_limit_p=0.3,
    lead_gain_p=0.5,
    wander_p=0.5,
    emg_p=0.3,
    mains_p=0.3,
)  # `mets train --augment robust` (issue 13); `standard` is AugmentConfig()
AUGMENT_PRESETS = {"standard": AugmentConfig(), "robust": ROBUST_AUGMENT}


def surviving_mains_gain(mains_hz: float, fs_hz: float, cleaner_powerline_hz: float) -> float:
    """Amplitude gain of hum at `mains_hz`, already aliased in a file at the model rate, after
    NeuroKit's powerline moving average (round(fs / powerline) taps, forward and backward).

    Args:
        mains_hz: hum frequency in the raw file, Hz. fs_hz: model rate, Hz.
        cleaner_powerline_hz: the cleaner's powerline setting, Hz.

    Returns:
        The factor by which the hum's amplitude is multiplied (0-1).

    Example:
        >>> round(surviving_mains_gain(60.0, 100.0, 50.0), 3)  # aliased to 40 Hz
        0.095
    """
    return float(cleaner_powerline_gain(torch.tensor([mains_hz]), fs_hz, cleaner_powerline_hz)[0])


def cleaner_powerline_gain(
    freq_hz: torch.Tensor, fs_hz: float, cleaner_powerline_hz: float
) -> torch.Tensor:
    """NeuroKit's powerline step: a moving average of int(fs / powerline) taps (2 below 100 Hz),
    run forward and backward, so its amplitude gain is the squared Dirichlet kernel."""
    taps = int(fs_hz / cleaner_powerline_hz) if fs_hz >= 100 else 2
    if taps <= 1:
        return torch.ones_like(freq_hz)
    w = math.pi * freq_hz / fs_hz
    near_zero = torch.sin(w).abs() < 1e-9
    ratio = torch.sin(taps * w) / (taps * torch.where(near_zero, torch.ones_like(w), torch.sin(w)))
    return torch.where(near_zero, torch.ones_like(w), ratio**2)


def cleaner_highpass_gain(freq_hz: torch.Tensor) -> torch.Tensor:
    """The cleaner's zero-phase high-pass magnitude at `freq_hz` (squared Butterworth)."""
    ratio = CLEANER_HIGHPASS_HZ / freq_hz.clamp_min(1e-6)
    return 1.0 / (1.0 + ratio ** (2 * CLEANER_HIGHPASS_ORDER))


def augment_batch(
    x: torch.Tensor, cfg: AugmentConfig, fs_hz: float, generator: torch.Generator
) -> torch.Tensor:
    """(B, L, T) -> augmented copy.

    Args:
        x: (B, L, T) preprocessed ECGs in mV at `fs_hz`.
        cfg: which augmentations, how strong (`AugmentConfig`).
        fs_hz: sampling rate of `x`, Hz (the model rate).
        generator: seeded torch generator; the same seed gives the same batch.

    Returns:
        (B, L, T) float tensor: crop-and-pad, gain, noise, then (when enabled) time warp,
        band-limit, per-lead gain, wander, EMG and mains hum, then lead dropout.
    """
    b, n_leads, n_samples = x.shape
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    x = x.clone()
    alive_leads = x.abs().amax(dim=2) > 0  # (B, L): rows with signal before augmenting
    keep = (cfg.min_keep_s + rand(b) * (n_samples / fs_hz - cfg.min_keep_s)) * fs_hz
    crop = rand(b) < cfg.crop_p
    start = (rand(b) * (n_samples - keep)).long()
    positions = torch.arange(n_samples)[None]
    inside = (positions >= start[:, None]) & (positions < (start + keep.long())[:, None])
    x = torch.where(crop[:, None, None] & ~inside[:, None, :], torch.zeros(()), x)
    low, high = cfg.scale_range
    x = x * (low + rand(b, 1, 1) * (high - low))
    x = x + torch.randn(x.shape, generator=generator) * rand(b, 1, 1) * cfg.noise_std_mv
    lead_mask = (rand(b, n_leads) > rand(b, 1) * 0.75) | (rand(b, 1) > cfg.lead_drop_p)
    few = rand(b) < cfg.few_leads_p
    few_mask = torch.zeros(b, n_leads, dtype=torch.bool)
    few_mask[torch.arange(b), (rand(b) * n_leads).long()] = True
    few_mask[torch.arange(b), (rand(b) * n_leads).long()] = True
    lead_mask = torch.where(few[:, None], few_mask, lead_mask)
    lead_mask[lead_mask.sum(1) == 0, 1] = True  # never drop every lead: keep II
    signal = (crop[:, None] & ~inside).logical_not().float()  # (B, T) 1 where the ECG is
    x, signal = _site_artefacts(x, signal, alive_leads, cfg, fs_hz, generator)
    return x * lead_mask[:, :, None]


def _site_artefacts(
    x: torch.Tensor,
    signal: torch.Tensor,
    alive_leads: torch.Tensor,
    cfg: AugmentConfig,
    fs_hz: float,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The issue-13 augmentations in device order; each works on the ECGs it picked (probability
    p each) and draws nothing when its p is 0. Additive artefacts go only where the ECG is."""
    rate = {"fs_hz": fs_hz, "generator": generator}
    if cfg.warp_p > 0 and len(idx := _pick(len(x), cfg.warp_p, generator)):
        x[idx], signal[idx] = time_warp(x[idx], signal[idx], cfg.warp_range, generator)
    if cfg.band_limit_p > 0 and len(idx := _pick(len(x), cfg.band_limit_p, generator)):
        x = x.index_copy(
            0, idx, band_limit(x[idx], cfg.band_limit_hz, cfg.band_limit_order, **rate)
        )
    if cfg.lead_gain_p > 0 and len(idx := _pick(len(x), cfg.lead_gain_p, generator)):
        x = x.index_copy(0, idx, lead_gain(x[idx], cfg.lead_gain_range, generator))
    additive = (
        (cfg.wander_p, baseline_wander),
        (cfg.emg_p, emg_noise),
        (cfg.mains_p, mains_hum),
    )
    for p, make in additive:
        if p > 0 and len(idx := _pick(len(x), p, generator)):
            where = alive_leads[idx][:, :, None] * signal[idx][:, None, :]  # 1 where the ECG is
            x[idx] += make((len(idx), *x.shape[1:]), cfg, **rate) * where
    return x, signal


def _pick(b: int, p: float, generator: torch.Generator) -> torch.Tensor:
    """Indices of the ECGs (out of b) that an augmentation of probability `p` applies to."""
    return torch.nonzero(torch.rand(b, generator=generator) < p).flatten()


def time_warp(
    x: torch.Tensor,
    signal: torch.Tensor,
    factor_range: tuple[float, float],
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Resample each ECG in time by a factor s (heart rate x s), crop or zero-pad.

    Output sample t reads input position offset + s * t (linear interpolation); positions past
    the end read zero. s > 1 speeds the rhythm up (the end is zero-padded, as short uploads
    are), s < 1 slows it down (a random stretch of the stretched ECG is kept).

    Args:
        x: (B, L, T) mV. signal: (B, T) 1 where the ECG is, 0 in crop padding (warped alike).
        factor_range: (low, high) of s, uniform.
        generator: seeded torch generator.

    Returns:
        (x, signal) warped, same shapes.
    """
    b, _, n = x.shape
    low, high = factor_range
    factor = low + torch.rand(b, generator=generator) * (high - low)
    offset = torch.rand(b, generator=generator) * (n - 1 - factor * (n - 1)).clamp_min(0)
    pos = offset[:, None] + factor[:, None] * torch.arange(n, dtype=x.dtype)[None]  # (B, T)
    both = torch.cat([x, signal[:, None, :]], dim=1)  # warp "where the ECG is" alike
    both = torch.cat([both, torch.zeros_like(both[:, :, :2])], dim=2)  # reads past the end: 0
    left = pos.floor().long().clamp(0, n)
    frac = (pos - left)[:, None, :]
    index = lambda i: i[:, None, :].expand(-1, both.shape[1], -1)  # noqa: E731
    warped = both.gather(2, index(left)) * (1 - frac) + both.gather(2, index(left + 1)) * frac
    return warped[:, :-1], warped[:, -1]


def band_limit(
    x: torch.Tensor,
    cutoff_range_hz: tuple[float, float],
    order: int,
    fs_hz: float,
    generator: torch.Generator,
) -> torch.Tensor:
    """Zero-phase low-pass at a random cut-off per ECG (another device's filter), in frequency.

    Magnitude 1 / sqrt(1 + (f / fc)^(2 order)) (Butterworth-like); zero rows stay zero.
    (B, L, T) mV at `fs_hz` -> (B, L, T).
    """
    n = x.shape[2]
    low, high = cutoff_range_hz
    cutoff = low + torch.rand(len(x), 1, 1, generator=generator) * (high - low)
    freqs = torch.fft.rfftfreq(n, d=1.0 / fs_hz)[None, None, :]
    response = 1.0 / torch.sqrt(1.0 + (freqs / cutoff) ** (2 * order))
    return torch.fft.irfft(torch.fft.rfft(x, dim=2) * response, n=n, dim=2)


def lead_gain(
    x: torch.Tensor, gain_range: tuple[float, float], generator: torch.Generator
) -> torch.Tensor:
    """Multiply each lead by its own log-uniform factor in `gain_range`. (B, L, T) -> same."""
    low, high = math.log(gain_range[0]), math.log(gain_range[1])
    return x * torch.exp(low + torch.rand(*x.shape[:2], 1, generator=generator) * (high - low))


def baseline_wander(
    shape: tuple[int, int, int], cfg: AugmentConfig, fs_hz: float, generator: torch.Generator
) -> torch.Tensor:
    """Two random sinusoids per ECG in `cfg.wander_hz`, after the cleaner's high-pass, mV.

    The same wander reaches every lead with a per-lead weight in [-1, 1] (breathing moves the
    whole chest). Returns (B, L, T) to add.
    """
    b, n_leads, n = shape
    low, high = cfg.wander_hz
    freq = low + torch.rand(b, 1, 2, generator=generator) * (high - low)  # (B, 1, K)
    phase = torch.rand(b, 1, 2, generator=generator) * 2 * math.pi
    amp = torch.rand(b, 1, 2, generator=generator) * cfg.wander_max_mv * cleaner_highpass_gain(freq)
    t = (torch.arange(n) / fs_hz)[None, :, None]  # (1, T, 1)
    wave = (amp * torch.sin(2 * math.pi * freq * t + phase)).sum(dim=2)  # (B, T)
    weight = 2 * torch.rand(b, n_leads, 1, generator=generator) - 1  # (B, L, 1)
    return weight * wave[:, None, :]


def emg_noise(
    shape: tuple[int, int, int], cfg: AugmentConfig, fs_hz: float, generator: torch.Generator
) -> torch.Tensor:
    """Muscle noise: unit-sigma noise in `cfg.emg_band_hz` (what a 100 Hz model rate keeps of
    broadband EMG), through the cleaner's moving average, in one 1-4 s burst, level up to
    `cfg.emg_max_mv`; independent per lead. Returns (B, L, T) mV to add.
    """
    b, n_leads, n = shape
    white = torch.randn(b, n_leads, n, generator=generator)
    freqs = torch.fft.rfftfreq(n, d=1.0 / fs_hz)
    low, high = cfg.emg_band_hz
    band = ((freqs >= low) & (freqs <= high)).float()
    band = band / band.mean().sqrt()  # unit sigma before cleaning (white noise has sigma 1)
    cleaner = cleaner_powerline_gain(freqs, fs_hz, cfg.cleaner_powerline_hz)
    noise = torch.fft.irfft(torch.fft.rfft(white, dim=2) * (band * cleaner), n=n, dim=2)
    centre = torch.rand(b, 1, 1, generator=generator) * n
    width = (1 + 3 * torch.rand(b, 1, 1, generator=generator)) * fs_hz  # burst 1-4 s
    burst = (torch.arange(n)[None, None, :] - centre).abs() < width / 2
    level = torch.rand(b, 1, 1, generator=generator) * cfg.emg_max_mv
    return noise * (level * burst)


def mains_hum(
    shape: tuple[int, int, int], cfg: AugmentConfig, fs_hz: float, generator: torch.Generator
) -> torch.Tensor:
    """50 or 60 Hz hum (+- jitter) sampled at `fs_hz` (so 60 Hz aliases to 40 Hz at 100 Hz),
    scaled by what the cleaner leaves (`surviving_mains_gain`); one phase, a level per lead.
    Returns (B, L, T) mV to add.
    """
    b, n_leads, n = shape
    choice = (torch.rand(b, generator=generator) * len(cfg.mains_hz)).long()
    mains = torch.tensor(cfg.mains_hz)[choice.clamp_max(len(cfg.mains_hz) - 1)]
    freq = mains + (2 * torch.rand(b, generator=generator) - 1) * cfg.mains_jitter_hz
    gain = cleaner_powerline_gain(freq, fs_hz, cfg.cleaner_powerline_hz)
    amp = torch.rand(b, n_leads, 1, generator=generator) * cfg.mains_max_mv * gain[:, None, None]
    phase = torch.rand(b, 1, generator=generator) * 2 * math.pi
    t = (torch.arange(n) / fs_hz)[None, :]
    return amp * torch.sin(2 * math.pi * freq[:, None] * t + phase)[:, None, :]
