"""Non-ECG negatives: signals that are not ECGs, paired with texts that say so (issue 13).

The model has only ever seen ECGs, so a flat line or pure noise lands near the most common
report ("normal ECG"). `mets train --non-ecg-fraction F` replaces a fraction F of every batch
with one of these signals (as the model would see them after preprocessing: at 100 Hz, through
the cleaner's 0.5 Hz high-pass and powerline moving average, clipped at +-10 mV) paired with a
text of its kind, so the model learns a place for "no ECG signal".
"""

from __future__ import annotations

import math

import torch

from mets_core.train.augment import cleaner_highpass_gain, cleaner_powerline_gain

# kind -> texts it may be paired with (one drawn per signal); every text says "no ECG"
NON_ECG_TEXTS: dict[str, tuple[str, ...]] = {
    "flat": ("no ECG signal.", "flat line, no ECG signal."),
    "noise": ("noise, no ECG.", "noise only, no ECG signal."),
    "sine": ("sine wave, no ECG.", "periodic test signal, no ECG."),
    "square": ("square wave, no ECG.", "calibration signal, no ECG."),
    "random_walk": ("random drift, no ECG.", "baseline drift only, no ECG signal."),
}
NON_ECG_KINDS = tuple(NON_ECG_TEXTS)
AMPLITUDE_CLIP_MV = 10.0  # = PreprocessConfig.amplitude_clip_mv
POWERLINE_HZ = 50.0  # = PreprocessConfig.powerline_hz (the cleaner's moving average)


def all_non_ecg_texts() -> list[str]:
    """Every negative text once, in a fixed order (`non_ecg_batch` returns indices into it)."""
    return [text for texts in NON_ECG_TEXTS.values() for text in texts]


def non_ecg_batch(
    n: int, n_leads: int, n_samples: int, fs_hz: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """n non-ECG signals and their text indices.

    Kinds (equally likely): flat line (exact zeros or under 5 uV of noise), Gaussian noise
    (white or smoothed, 0.01-1 mV), sine (0.5-45 Hz, 0.05-2 mV), square wave (0.5-10 Hz,
    0.05-2 mV), random walk (0.05-1 mV, the mean removed). With probability 0.5 every lead
    carries the same waveform at its own gain (one source), otherwise each lead its own.

    Args:
        n: how many. n_leads, n_samples: the model input shape (L, T). fs_hz: model rate, Hz.
        generator: seeded torch generator.

    Returns:
        (signals (n, L, T) float32 mV, text index (n,) int64 into `all_non_ecg_texts()`).
    """
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    kind = (rand(n) * len(NON_ECG_KINDS)).long().clamp_max(len(NON_ECG_KINDS) - 1)
    shared = rand(n, 1, 1) < 0.5
    t = (torch.arange(n_samples) / fs_hz)[None, None, :]
    waves = torch.stack(
        [
            _flat(n, n_leads, n_samples, generator),
            _noise(n, n_leads, n_samples, generator),
            _periodic(n, n_leads, t, (0.5, 45.0), generator, square=False),
            _periodic(n, n_leads, t, (0.5, 10.0), generator, square=True),
            _random_walk(n, n_leads, n_samples, generator),
        ]
    )  # (K, n, L, T)
    signals = waves[kind, torch.arange(n)]
    one_source = signals[:, :1] * (0.5 + rand(n, n_leads, 1))  # lead 0's waveform, own gains
    signals = torch.where(shared, one_source, signals)
    freqs = torch.fft.rfftfreq(n_samples, d=1.0 / fs_hz)
    cleaner = cleaner_highpass_gain(freqs) * cleaner_powerline_gain(freqs, fs_hz, POWERLINE_HZ)
    signals = torch.fft.irfft(torch.fft.rfft(signals, dim=2) * cleaner, n=n_samples, dim=2)
    signals = signals.clamp(-AMPLITUDE_CLIP_MV, AMPLITUDE_CLIP_MV)
    offsets = torch.tensor([0] + [len(v) for v in NON_ECG_TEXTS.values()]).cumsum(0)
    counts = torch.tensor([len(v) for v in NON_ECG_TEXTS.values()])
    text = offsets[kind] + (rand(n) * counts[kind]).long().clamp_max(counts[kind] - 1)
    return signals.float(), text


def _flat(n: int, n_leads: int, n_samples: int, generator: torch.Generator) -> torch.Tensor:
    level = (
        torch.rand(n, 1, 1, generator=generator)
        * 0.005
        * (torch.rand(n, 1, 1, generator=generator) < 0.5)
    )  # half exact zeros (a disconnected lead), half a few uV of amplifier noise
    return torch.randn(n, n_leads, n_samples, generator=generator) * level


def _noise(n: int, n_leads: int, n_samples: int, generator: torch.Generator) -> torch.Tensor:
    white = torch.randn(n, n_leads, n_samples, generator=generator)
    width = 1 + (torch.rand(n, generator=generator) * 8).long()  # smoothing, 1-8 samples
    kernel_positions = torch.arange(8)[None, :] < width[:, None]
    kernel = kernel_positions.float() / width[:, None]  # (n, 8) moving averages
    padded = torch.nn.functional.pad(white, (7, 0))
    smooth = torch.stack(
        [(padded[:, :, 7 - j : 7 - j + n_samples] * kernel[:, j, None, None]) for j in range(8)]
    ).sum(0)
    smooth = smooth / smooth.std(dim=2, keepdim=True).clamp_min(1e-9)
    level = 10 ** (-2 + 2 * torch.rand(n, 1, 1, generator=generator))  # 0.01-1 mV, log-uniform
    return smooth * level


def _periodic(
    n: int,
    n_leads: int,
    t: torch.Tensor,
    freq_range: tuple[float, float],
    generator: torch.Generator,
    square: bool,
) -> torch.Tensor:
    low, high = freq_range
    freq = low + torch.rand(n, n_leads, 1, generator=generator) * (high - low)
    phase = torch.rand(n, n_leads, 1, generator=generator) * 2 * math.pi
    wave = torch.sin(2 * math.pi * freq * t + phase)
    wave = torch.sign(wave) if square else wave
    return wave * (0.05 + 1.95 * torch.rand(n, n_leads, 1, generator=generator))


def _random_walk(n: int, n_leads: int, n_samples: int, generator: torch.Generator) -> torch.Tensor:
    walk = torch.randn(n, n_leads, n_samples, generator=generator).cumsum(dim=2)
    walk = walk - walk.mean(dim=2, keepdim=True)
    walk = walk / walk.abs().amax(dim=2, keepdim=True).clamp_min(1e-9)
    return walk * (0.05 + 0.95 * torch.rand(n, n_leads, 1, generator=generator))
