"""Quality flags on synthetic leads with known defects, and on the real bundled records."""

from __future__ import annotations

import neurokit2 as nk
import numpy as np
import pytest

from mets_core.io.examples import list_examples, load_example
from mets_core.record import ECGRecord
from mets_core.signal.quality import assess_leads, record_usable


@pytest.fixture(scope="module")
def clean_lead() -> np.ndarray:
    return nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=70, random_state=0).astype(
        "float32"
    )


def _flags(record: ECGRecord, expected: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {q.lead: q.flags for q in assess_leads(record, expected=expected)}


def test_each_defect_gets_its_flag(clean_lead):
    rng = np.random.default_rng(0)
    rows = [
        clean_lead,
        np.full_like(clean_lead, 0.3),  # flat (constant offset)
        np.clip(clean_lead, -0.2, 0.5),  # clipped R-peaks
        clean_lead + rng.normal(0, 0.4, clean_lead.size).astype("float32"),  # noisy
    ]
    record = ECGRecord(np.stack(rows), 500.0, ("I", "II", "III", "V1"), derived_leads=("I",))
    flags = _flags(record, ("I", "II", "III", "V1", "V2"))
    assert flags["I"] == ("derived",)
    assert flags["II"] == ("flat",)
    assert "saturated" in flags["III"]
    assert "noisy" in flags["V1"]
    assert flags["V2"] == ("missing",)


def test_clean_simulated_lead_has_no_flag_at_100_and_500_hz():
    for fs in (100, 500):
        sim = nk.ecg_simulate(duration=10, sampling_rate=fs, heart_rate=70, random_state=1)
        record = ECGRecord(sim[None].astype("float32"), float(fs), ("II",))
        assert _flags(record, ("II",)) == {"II": ()}


def test_real_examples_pass_and_only_missing_leads_are_reported():
    for info in list_examples():
        quality = assess_leads(load_example(info.key))
        assert all(q.flags in ((), ("missing",)) for q in quality), info.key
        usable, _ = record_usable(quality)
        assert usable, info.key


def test_garbage_record_is_not_usable(clean_lead):
    flat = np.zeros((12, clean_lead.size), dtype="float32")
    names = tuple(q for q in ("I", "II", "III", "aVR", "aVL", "aVF"))
    names += ("V1", "V2", "V3", "V4", "V5", "V6")
    usable, reasons = record_usable(assess_leads(ECGRecord(flat, 500.0, names)))
    assert not usable and "no usable lead" in reasons[0]


def test_many_bad_leads_fail_with_a_count(clean_lead):
    rows = np.stack([clean_lead, clean_lead, np.zeros_like(clean_lead), np.zeros_like(clean_lead)])
    usable, reasons = record_usable(assess_leads(ECGRecord(rows, 500.0, ("I", "II", "V1", "V2"))))
    assert not usable and "2 of 4" in reasons[0]
    assert any(r.startswith("V1:") for r in reasons)


@pytest.mark.parametrize("name", [e.key for e in list_examples()])
def test_noise_ratios_of_all_leads_at_once_equal_one_lead_at_a_time(name):
    """The batched Welch estimate gives each lead the ratio a per-lead estimate gives."""
    from scipy.signal import welch

    from mets_core.signal.quality import NOISE_FROM_HZ, NOISE_TOP_HZ, noise_ratios

    record = load_example(name)
    batched = noise_ratios(record.signal, record.fs_hz)
    for lead, ratio in zip(record.signal, batched, strict=True):
        freqs, power = welch(lead - lead.mean(), fs=record.fs_hz, nperseg=int(2 * record.fs_hz))
        mains = (np.abs(freqs - 50.0) <= 2.0) | (np.abs(freqs - 60.0) <= 2.0)
        band = (freqs >= 0.5) & (freqs <= min(record.fs_hz / 2, NOISE_TOP_HZ)) & ~mains
        expected = power[band & (freqs >= NOISE_FROM_HZ)].sum() / power[band].sum()
        assert ratio == pytest.approx(expected, rel=1e-5, abs=1e-9)
