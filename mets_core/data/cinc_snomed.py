"""PhysioNet/CinC 2020-21 SNOMED-CT diagnosis codes -> PTB-XL SCP codes: the one table.

The CinC challenge records (`../shared/data/cinc-external`) carry their diagnoses as SNOMED-CT
codes on the header's `#Dx:` line; PTB-XL speaks SCP-ECG statement codes. `SNOMED_CODES` names
every code of the challenge's mapping tables that occurs in our external set (names and
abbreviations from `dx_mapping_scored.csv` / `dx_mapping_unscored.csv` of the challenge), and
gives the PTB-XL SCP code it is the same finding as, or None where PTB-XL has no such statement
or the match would not be one-to-one. Codes the table does not list are reported as unknown by
`unmapped_codes`, never dropped silently.

Equivalences follow the challenge's own scoring (RBBB = complete RBBB, PAC = supraventricular
premature beats, PVC = ventricular premature beats). The external set is for reporting only: no
checkpoint, prompt or threshold is ever chosen on it (METHOD.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SnomedCode:
    """One CinC diagnosis code: its challenge name and abbreviation, and the PTB-XL SCP code."""

    name: str  # the challenge's name, e.g. "atrial fibrillation"
    abbreviation: str  # the challenge's abbreviation, e.g. "AF"
    scp_code: str | None  # the PTB-XL SCP statement code, None: no one-to-one PTB-XL statement


def _code(name: str, abbreviation: str, scp_code: str | None = None) -> SnomedCode:
    return SnomedCode(name, abbreviation, scp_code)


SNOMED_CODES: dict[str, SnomedCode] = {
    # rhythm: PTB-XL rhythm statements
    "426783006": _code("sinus rhythm", "NSR", "SR"),
    "426177001": _code("sinus bradycardia", "SB", "SBRAD"),
    "427084000": _code("sinus tachycardia", "STach", "STACH"),
    "427393009": _code("sinus arrhythmia", "SA", "SARRH"),
    "164889003": _code("atrial fibrillation", "AF", "AFIB"),
    "164890007": _code("atrial flutter", "AFL", "AFLT"),
    "426761007": _code("supraventricular tachycardia", "SVT", "SVTAC"),
    "67198005": _code("paroxysmal supraventricular tachycardia", "PSVT", "PSVT"),
    "10370003": _code("pacing rhythm", "PR", "PACE"),
    "11157007": _code("ventricular bigeminy", "VBig", "BIGU"),
    "251180001": _code("ventricular trigeminy", "VTrig", "TRIGU"),
    # conduction, ectopy, hypertrophy: PTB-XL diagnostic and form statements
    "59118001": _code("right bundle branch block", "RBBB", "CRBBB"),
    "713427006": _code("complete right bundle branch block", "CRBBB", "CRBBB"),
    "164909002": _code("left bundle branch block", "LBBB", "CLBBB"),
    "733534002": _code("complete left bundle branch block", "CLBBB", "CLBBB"),
    "270492004": _code("1st degree av block", "IAVB", "1AVB"),
    "284470004": _code("premature atrial contraction", "PAC", "PAC"),
    "63593006": _code("supraventricular premature beats", "SVPB", "PAC"),
    "427172004": _code("premature ventricular contractions", "PVC", "PVC"),
    "17338001": _code("ventricular premature beats", "VPB", "PVC"),
    "164873001": _code("left ventricular hypertrophy", "LVH", "LVH"),
    # named, but no one-to-one PTB-XL statement (or outside the shared classes of issue 13)
    "428750005": _code("nonspecific st t abnormality", "NSSTTA"),
    "164865005": _code("myocardial infarction", "MI"),
    "164867002": _code("old myocardial infarction", "OldMI"),
    "164934002": _code("t wave abnormal", "TAb"),
    "59931005": _code("t wave inversion", "TInv"),
    "425856008": _code("paroxysmal ventricular tachycardia", "PVT"),
    "55827005": _code("left ventricular high voltage", "LVHV"),
    "55930002": _code("s t changes", "STC"),
    "39732003": _code("left axis deviation", "LAD"),
    "47665007": _code("right axis deviation", "RAD"),
    "426627000": _code("bradycardia", "Brady"),
    "164930006": _code("st interval abnormal", "STIAb"),
    "164917005": _code("qwave abnormal", "QAb"),
    "713426002": _code("incomplete right bundle branch block", "IRBBB"),
    "429622005": _code("st depression", "STD"),
    "425623009": _code("lateral ischaemia", "LIs"),
    "251223006": _code("tall p wave", "TPW"),
    "698252002": _code("nonspecific intraventricular conduction disorder", "NSIVCB"),
    "61721007": _code("clockwise or counterclockwise vectorcardiographic loop", "CVCL/CCVCL"),
    "446358003": _code("right atrial hypertrophy", "RAH"),
    "251146004": _code("low qrs voltages", "LQRSV"),
    "233897008": _code("atrioventricular reentrant tachycardia", "AVRT"),
    "164861001": _code("myocardial ischemia", "MIs"),
    "111975006": _code("prolonged qt interval", "LQT"),
    "89792004": _code("right ventricular hypertrophy", "RVH"),
    "713422000": _code("atrial tachycardia", "ATach"),
    "67741000119109": _code("left atrial enlargement", "LAE"),
    "445118002": _code("left anterior fascicular block", "LAnFB"),
    "413844008": _code("chronic myocardial ischemia", "CMI"),
    "365413008": _code("poor R wave Progression", "PRWP"),
    "251259000": _code("high t-voltage", "HTV"),
    "233917008": _code("av block", "AVB"),
    "164884008": _code("ventricular ectopics", "VEB"),
    "13640000": _code("fusion beats", "FB"),
    "106068003": _code("atrial rhythm", "ARH"),
}

# The classes the external set shares with PTB-XL beyond the rhythm task (issue 13), as SCP codes,
# with the plain name a user types: PTB-XL's scp_statements.csv description, the rule behind
# `zeroshot/prompt_sets/plain.json` (1AVB is not a class of the four benchmark tasks, so it is not
# in that file).
SHARED_CLASSES: tuple[str, ...] = (
    "AFIB",
    "AFLT",
    "SBRAD",
    "STACH",
    "SR",
    "CRBBB",
    "CLBBB",
    "1AVB",
    "PAC",
    "PVC",
    "LVH",
)
NAMES_OUTSIDE_TASKS: dict[str, str] = {"1AVB": "first degree AV block"}


def read_dx_codes(header: Path) -> list[str]:
    """The SNOMED-CT codes of one CinC header's `#Dx:` line (empty when it has none).

    Args:
        header: a `.hea` file of the PhysioNet/CinC challenge.
    """
    for line in header.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#Dx:"):
            return [code.strip() for code in line[4:].split(",") if code.strip()]
    return []


def scp_codes(dx_codes: list[str]) -> set[str]:
    """The PTB-XL SCP codes of a record's SNOMED codes (unmapped codes contribute none)."""
    return {
        entry.scp_code
        for code in dx_codes
        if (entry := SNOMED_CODES.get(code)) is not None and entry.scp_code is not None
    }


def unmapped_codes(dx_codes: list[str]) -> list[str]:
    """The codes of `dx_codes` the table does not know at all (to report, never to drop)."""
    return sorted({code for code in dx_codes if code not in SNOMED_CODES})
