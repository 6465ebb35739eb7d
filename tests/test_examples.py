"""Bundled examples: every one loads as a valid record with its lead count, rate and licence."""

from __future__ import annotations

from pathlib import Path

import pytest

from mets_core.errors import ECGInputError
from mets_core.io.examples import EXAMPLES_DIR, list_examples, load_example
from mets_core.leads import STANDARD_12_LEADS


def test_every_example_loads_with_12_or_2_leads():
    infos = list_examples()
    assert len(infos) >= 7
    for info in infos:
        record = load_example(info.key)
        assert record.n_leads in (12, 2)
        if record.n_leads == 12:
            assert record.lead_names == STANDARD_12_LEADS
        assert record.fs_hz in (100.0, 360.0, 500.0)
        assert 9.9 <= record.duration_s <= 10.1
        assert 0.2 < float(abs(record.signal).max()) < 10.0  # millivolts, not microvolts
        assert any(info.licence in note for note in record.notes)


def test_examples_name_the_diagnoses_the_app_promises():
    keys = {info.key for info in list_examples()}
    expected = {"ptbxl_normal", "ptbxl_afib", "ptbxl_lbbb", "ptbxl_anterior_mi", "ptbxl_lvh"}
    assert expected | {"ptbxl_sinus_tachycardia", "mitbih_pvc"} <= keys


def test_metadata_states_source_fold_and_licence():
    for info in list_examples():
        assert info.path.with_suffix(".hea").exists() and info.path.with_suffix(".dat").exists()
        assert info.diagnosis_reference and info.description and info.title
        if info.key.startswith("ptbxl"):
            assert "strat_fold 10" in info.source and "CC BY 4.0" in info.licence
        else:
            assert "ODC-By" in info.licence


def test_bundle_is_small_and_attributed():
    total = sum(p.stat().st_size for p in Path(EXAMPLES_DIR).iterdir())
    assert total < 2_000_000
    readme = (EXAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "ODC" in readme and "Wagner" in readme and "Moody" in readme
    assert (EXAMPLES_DIR / "PTB-XL_LICENSE.txt").exists()


def test_mitbih_excerpt_maps_mlii_to_lead_ii():
    record = load_example("mitbih_pvc")
    assert record.lead_names == ("II", "V1") and record.fs_hz == 360.0


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(ECGInputError, match="ptbxl_normal"):
        load_example("no_such_example")
