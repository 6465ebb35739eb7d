"""Inputs that are not ECGs, for choosing and measuring the abstain checks (`zeroshot.abstain`).

Two families:

* made from a real record (its leads, rate and length), as on the Sanity Check page: a flat line
  (10 uV of noise), noise with each lead's own amplitude, the leads shuffled;
* synthetic 12-lead, 10 s, 500 Hz signals at an amplitude `scale_mv`: noise, sine, square,
  sawtooth, random walk, constant offset, clipped noise, 50 Hz mains hum and a spike train
  (narrow pulses at a heart-like rate: QRS complexes with nothing else, the hardest case).

``limb_consistent=True`` rebuilds III, aVR, aVL and aVF from I and II, so the limb leads obey
Einthoven's law as a real ECG's do: this defeats the limb-lead check on purpose, to show what
the other checks catch alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from mets_core.leads import STANDARD_12_LEADS
from mets_core.record import ECGRecord
from mets_core.zeroshot.sanity import CONTROLS

FLOAT = npt.NDArray[np.float64]
SYNTHETIC_FS_HZ = 500.0
SYNTHETIC_DURATION_S = 10.0
SCALES_MV = (0.1, 1.0, 10.0)  # "however scaled": amplitudes of the synthetic signals
FROM_RECORD = tuple(name for name, _, _ in CONTROLS)  # "flat line", "leads shuffled", "noise only"


def _noise(shape: tuple[int, int], t: FLOAT, rng: np.random.Generator) -> FLOAT:
    return rng.standard_normal(shape)


def _sine(shape: tuple[int, int], t: FLOAT, rng: np.random.Generator) -> FLOAT:
    return np.tile(np.sin(2 * np.pi * rng.uniform(0.3, 30.0) * t), (shape[0], 1))


def _square(shape: tuple[int, int], t: FLOAT, rng: np.random.Generator) -> FLOAT:
    return np.tile(sps.square(2 * np.pi * rng.uniform(0.3, 5.0) * t), (shape[0], 1))


def _sawtooth(shape: tuple[int, int], t: FLOAT, rng: np.random.Generator) -> FLOAT:
    return np.tile(sps.sawtooth(2 * np.pi * rng.uniform(0.3, 5.0) * t), (shape[0], 1))


def _random_walk(shape: tuple[int, int], t: FLOAT, rng: np.random.Generator) -> FLOAT:
    walk = np.cumsum(rng.standard_normal(shape), axis=1)
    walk -= walk.mean(axis=1, keepdims=True)
    return walk / walk.std(axis=1, keepdims=True)


def _offset(shape: tuple[int, int], t: FLOAT, rng: np.random.Generator) -> FLOAT:
    return rng.uniform(-1.0, 1.0, (shape[0], 1)) + 0.005 * rng.standard_normal(shape)


def _clipped(shape: tuple[int, int], t: FLOAT, rng: np.random.Generator) -> FLOAT:
    return np.clip(3.0 * rng.standard_normal(shape), -1.0, 1.0)


def _mains(shape: tuple[int, int], t: FLOAT, rng: np.random.Generator) -> FLOAT:
    return np.tile(np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 2 * np.pi)), (shape[0], 1))


def _spikes(shape: tuple[int, int], t: FLOAT, rng: np.random.Generator) -> FLOAT:
    fs_hz = 1.0 / (t[1] - t[0])
    pulses = np.zeros(t.size)
    pulses[:: int(fs_hz * rng.uniform(0.4, 1.5))] = 1.0
    pulses = np.convolve(pulses, np.hanning(int(0.06 * fs_hz)), mode="same")
    return np.tile(pulses, (shape[0], 1)) + 0.005 * rng.standard_normal(shape)


SYNTHETIC: dict[str, Callable[[tuple[int, int], FLOAT, np.random.Generator], FLOAT]] = {
    "noise": _noise,
    "sine": _sine,
    "square wave": _square,
    "sawtooth": _sawtooth,
    "random walk": _random_walk,
    "constant offset": _offset,
    "clipped noise": _clipped,
    "mains hum (50 Hz)": _mains,
    "spike train": _spikes,
}


def limb_consistent(record: ECGRecord) -> ECGRecord:
    """The same record with III, aVR, aVL and aVF rebuilt from I and II (Einthoven, Goldberger)."""
    names = list(record.lead_names)
    signal = record.signal.astype(np.float64).copy()
    i, ii = signal[names.index("I")], signal[names.index("II")]
    derived = {"III": ii - i, "aVR": -(i + ii) / 2, "aVL": i - ii / 2, "aVF": ii - i / 2}
    for name, values in derived.items():
        signal[names.index(name)] = values
    return replace(record, signal=signal.astype(np.float32), notes=())


def synthetic_record(kind: str, scale_mv: float, rng: np.random.Generator) -> ECGRecord:
    """A 12-lead, 10 s, 500 Hz non-ECG of one `SYNTHETIC` kind, peak amplitude ~`scale_mv` mV."""
    t = np.arange(int(SYNTHETIC_FS_HZ * SYNTHETIC_DURATION_S)) / SYNTHETIC_FS_HZ
    signal = scale_mv * SYNTHETIC[kind]((len(STANDARD_12_LEADS), t.size), t, rng)
    return ECGRecord(
        signal.astype(np.float32), SYNTHETIC_FS_HZ, STANDARD_12_LEADS, source=f"control: {kind}"
    )


def record_control(kind: str, record: ECGRecord, rng: np.random.Generator) -> ECGRecord:
    """A control made from a real `record`: one of `FROM_RECORD` (see `zeroshot.sanity`)."""
    make = {name: function for name, _, function in CONTROLS}[kind]
    return replace(record, signal=make(record.signal, rng), notes=(), source=f"control: {kind}")
