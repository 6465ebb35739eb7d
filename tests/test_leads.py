"""Lead names are normalised by name only, and missing limb leads follow Einthoven/Goldberger."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mets_core.io.readers.limb_leads import derive_limb_leads, missing_leads_note
from mets_core.leads import (
    LIMB_LEADS,
    STANDARD_12_LEADS,
    inverted_lead_name,
    normalize_lead_name,
)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("MLII", "II"),
        ("ML II", "II"),
        ("AVR", "aVR"),
        ("avl", "aVL"),
        ("V1 ", "V1"),
        ("Lead I (Einthoven)", "I"),
        ("Lead aVR (Goldberger)", "aVR"),
        ("Lead V1 (Wilson)", "V1"),
        ("ECG II", "II"),
        ("EKG V2", "V2"),
        ("ECG Lead III", "III"),
        ("DII", "II"),
        ("lead_II", "II"),
        ("I-REF", "I"),
        ("v6", "V6"),
        ("aVF", "aVF"),
    ],
)
def test_aliases_map_to_standard_names(label, expected):
    assert normalize_lead_name(label) == expected


@pytest.mark.parametrize(
    "label", ["ABP", "PLETH", "RESP", "time", "1", "2", "ECG1", "V3R", "CM5", ""]
)
def test_non_leads_and_channel_numbers_map_to_none(label):
    assert normalize_lead_name(label) is None


def test_every_standard_name_maps_to_itself_in_any_case():
    for lead in STANDARD_12_LEADS:
        assert normalize_lead_name(lead) == lead
        assert normalize_lead_name(f"  {lead.upper()} ") == lead


def test_inverted_labels_are_not_the_lead_itself():
    assert normalize_lead_name("-aVR") is None
    assert inverted_lead_name("-aVR") == "aVR"
    assert inverted_lead_name("aVR") is None


def _limb_leads(rng: np.random.Generator) -> dict[str, np.ndarray]:
    lead_i, lead_ii = rng.normal(size=(2, 200))
    return {
        "I": lead_i,
        "II": lead_ii,
        "III": lead_ii - lead_i,
        "aVR": -(lead_i + lead_ii) / 2,
        "aVL": lead_i - lead_ii / 2,
        "aVF": lead_ii - lead_i / 2,
    }


@pytest.mark.parametrize("pair", list(itertools.combinations(LIMB_LEADS, 2)))
def test_any_two_limb_leads_give_the_other_four(pair):
    truth = _limb_leads(np.random.default_rng(0))
    derived, names, note = derive_limb_leads({name: truth[name] for name in pair})
    assert set(names) == set(LIMB_LEADS) - set(pair)
    assert note is not None and all(name in note for name in pair)
    for name in LIMB_LEADS:
        np.testing.assert_allclose(derived[name], truth[name], atol=1e-12)


def test_one_limb_lead_derives_nothing_and_says_why():
    leads = {"II": np.zeros(10), "V5": np.ones(10)}
    derived, names, note = derive_limb_leads(leads)
    assert names == () and note is None and set(derived) == {"II", "V5"}
    gap = missing_leads_note(["II", "V5"])
    assert gap is not None and "cannot be derived" in gap and "V1, V2, V3, V4, V6" in gap
    assert missing_leads_note(list(STANDARD_12_LEADS)) is None
