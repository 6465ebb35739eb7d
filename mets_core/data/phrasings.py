"""Clinician wordings of PTB-XL statements, to render each training report several ways.

The generated reports (`scp_report.generate_report`) always use one wording per SCP statement,
the `scp_statements.csv` description ("atrial fibrillation", "complete left bundle branch
block"). Clinicians type "AF", "afib", "LBBB", "IMI", "NSR". `PHRASINGS` lists, per SCP code,
other wordings a clinician would write for the same statement; `report_variants` renders a
report K ways by swapping each sentence it recognises for one of them, so that free text typed
in the app lands near the right reports (issue 13, `mets train --phrasings K`).

Sources: hand-written from common clinical ECG reporting conventions (standard abbreviations
such as AF, LBBB, RBBB, LAFB, LVH, IVCD, WPW, PVC, PAC; "hemiblock" for fascicular block;
"heart block" for AV block; "P mitrale" / "P pulmonale" for atrial enlargement; location + "MI"
or "infarct" for infarctions). Deliberately left out: abbreviations that mean something else
to most clinicians (AMI = acute MI, not anterior MI; PMI = point of maximal impulse; "ST" alone
= the ST segment), and any wording that adds information the statement does not carry (an age
of infarction, a ventricular rate). Only PTB-XL fold 1-8 training reports are rendered with
these; `benchmarks/paraphrase.py` also scores wordings that are not in this table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from mets_core.data.phrases import CLASS_DESCRIPTIONS
from mets_core.data.scp_report import generate_report

# fmt: off
PHRASINGS: dict[str, tuple[str, ...]] = {
    # rhythm
    "SR": ("normal sinus rhythm", "NSR", "SR", "regular sinus rhythm"),
    "AFIB": ("AF", "afib", "a-fib", "atrial fib", "AF, irregularly irregular"),
    "AFLT": ("AFL", "a-flutter", "atrial flutter with regular conduction", "flutter"),
    "STACH": ("sinus tach", "sinus tachy", "tachycardia, sinus", "fast sinus rhythm"),
    "SBRAD": ("sinus brady", "SB", "bradycardia, sinus", "slow sinus rhythm"),
    "SARRH": ("sinus arrhythmia, respiratory", "irregular sinus rhythm", "phasic sinus arrhythmia"),
    "SVARR": ("SV arrhythmia", "supraventricular dysrhythmia", "atrial arrhythmia"),
    "SVTAC": ("SVT", "supraventricular tach", "narrow complex tachycardia"),
    "PSVT": ("PSVT", "paroxysmal SVT", "paroxysmal supraventricular tach"),
    "PACE": ("paced rhythm", "pacemaker rhythm", "pacing", "paced ECG"),
    "BIGU": ("bigeminy", "bigeminal rhythm", "bigeminal beats"),
    "TRIGU": ("trigeminy", "trigeminal rhythm", "trigeminal beats"),
    # whole-ECG
    "NORM": ("normal electrocardiogram", "within normal limits", "WNL", "normal 12-lead ECG",
             "no abnormality"),
    # infarction
    "IMI": ("IMI", "inferior MI", "inferior infarct", "inferior wall MI", "inferior infarction"),
    "ASMI": ("ASMI", "anteroseptal MI", "anteroseptal infarct", "septal infarct"),
    "AMI": ("anterior MI", "anterior infarct", "anterior wall MI", "anterior infarction"),
    "ALMI": ("ALMI", "anterolateral MI", "anterolateral infarct"),
    "LMI": ("LMI", "lateral MI", "lateral infarct", "lateral wall MI"),
    "ILMI": ("ILMI", "inferolateral MI", "inferolateral infarct"),
    "IPMI": ("IPMI", "inferoposterior MI", "inferoposterior infarct"),
    "IPLMI": ("IPLMI", "inferoposterolateral MI", "inferoposterolateral infarct"),
    "PMI": ("posterior MI", "posterior infarct", "posterior wall MI"),
    # hypertrophy and atrial enlargement
    "LVH": ("LVH", "LV hypertrophy", "left ventricular enlargement"),
    "RVH": ("RVH", "RV hypertrophy", "right ventricular enlargement"),
    "SEHYP": ("septal thickening", "hypertrophy of the septum"),
    "LAO/LAE": ("LAE", "left atrial enlargement", "left atrial abnormality", "P mitrale"),
    "RAO/RAE": ("RAE", "right atrial enlargement", "right atrial abnormality", "P pulmonale"),
    "VCLVH": ("voltage criteria for LVH", "LVH by voltage", "high voltage, LVH criteria"),
    # conduction
    "CLBBB": ("LBBB", "CLBBB", "complete LBBB", "left bundle branch block"),
    "ILBBB": ("ILBBB", "incomplete LBBB", "partial left bundle branch block"),
    "CRBBB": ("RBBB", "CRBBB", "complete RBBB", "right bundle branch block"),
    "IRBBB": ("IRBBB", "incomplete RBBB", "partial right bundle branch block"),
    "LAFB": ("LAFB", "LAHB", "left anterior hemiblock"),
    "LPFB": ("LPFB", "LPHB", "left posterior hemiblock"),
    "1AVB": ("1st degree AV block", "1AVB", "first degree heart block", "1st degree heart block",
             "AV block I"),
    "2AVB": ("2nd degree AV block", "2AVB", "second degree heart block", "AV block II"),
    "3AVB": ("3rd degree AV block", "complete heart block", "CHB", "third degree heart block"),
    "IVCD": ("IVCD", "intraventricular conduction delay", "nonspecific IVCD"),
    "WPW": ("WPW", "WPW pattern", "pre-excitation", "ventricular pre-excitation"),
    "LPR": ("prolonged PR", "long PR interval", "PR prolongation"),
    # ST-T
    "NDT": ("nonspecific T wave abnormality", "non-diagnostic T wave changes"),
    "NST_": ("nonspecific ST changes", "NSST changes", "non-specific ST segment changes"),
    "NT_": ("nonspecific T wave changes", "non-specific T wave abnormality"),
    "STD_": ("ST depression", "nonspecific ST depression", "ST segment depression"),
    "STE_": ("ST elevation", "nonspecific ST elevation", "ST segment elevation"),
    "TAB_": ("T wave abnormality", "abnormal T waves"),
    "INVT": ("T wave inversion", "inverted T waves", "TWI"),
    "LOWT": ("low T waves", "flat T waves", "flattened T waves"),
    "ISC_": ("ischemia", "ischemic changes", "myocardial ischemia"),
    "ISCAL": ("anterolateral ischemia", "ischemia, anterolateral"),
    "ISCAS": ("anteroseptal ischemia", "ischemia, anteroseptal"),
    "ISCAN": ("anterior ischemia", "ischemia, anterior"),
    "ISCLA": ("lateral ischemia", "ischemia, lateral"),
    "ISCIN": ("inferior ischemia", "ischemia, inferior"),
    "ISCIL": ("inferolateral ischemia", "ischemia, inferolateral"),
    "INJAS": ("anteroseptal injury", "subendocardial injury, anteroseptal"),
    "INJAL": ("anterolateral injury", "subendocardial injury, anterolateral"),
    "INJIN": ("inferior injury", "subendocardial injury, inferior"),
    "INJLA": ("lateral injury", "subendocardial injury, lateral"),
    "INJIL": ("inferolateral injury", "subendocardial injury, inferolateral"),
    "DIG": ("digoxin effect", "dig effect", "digitalis effect"),
    "LNGQT": ("long QT", "prolonged QT", "QT prolongation"),
    "EL": ("electrolyte abnormality", "drug or electrolyte effect"),
    "ANEUR": ("ventricular aneurysm", "LV aneurysm pattern"),
    # QRS, voltage, ectopy
    "ABQRS": ("abnormal QRS complex", "QRS abnormality"),
    "QWAVE": ("Q waves", "pathological Q waves", "abnormal Q waves"),
    "LVOLT": ("low voltage", "low QRS voltage", "low voltage QRS"),
    "HVOLT": ("high voltage", "increased QRS voltage", "high voltage QRS"),
    "PVC": ("PVC", "PVCs", "VPB", "ventricular extrasystole", "premature ventricular contraction"),
    "PAC": ("PAC", "PACs", "APB", "supraventricular extrasystole", "premature atrial contraction"),
    "PRC(S)": ("premature beats", "ectopic beats", "extrasystoles"),
    # class names of records that have labels but no SCP codes (`phrases.CLASS_DESCRIPTIONS`)
    "STTC": ("ST-T changes", "ST-T abnormality", "repolarization abnormality"),
    "LAFB/LPFB": ("fascicular block", "hemiblock", "LAFB or LPFB"),
    "AVB": ("AV block", "heart block", "AV conduction block"),
}
# fmt: on

LIKELIHOOD_PREFIXES = ("cannot rule out ", "probable ", "possible ", "possibly ")  # scp_report


def canonical_sentences(statements: pd.DataFrame) -> dict[str, str]:
    """{sentence as the report generator writes it (no final '.'): PHRASINGS key}.

    SCP codes are written as `generate_report` writes them; class names of label-only records
    as `phrases.CLASS_DESCRIPTIONS` (`generate_report_from_labels`).
    """
    out = {}
    for code in PHRASINGS:
        if code in statements.index:
            out[generate_report({code: 0.0}, statements).rstrip(".")] = code
        elif code in CLASS_DESCRIPTIONS:
            out[CLASS_DESCRIPTIONS[code]] = code
    return out


def rephrase_report(report: str, canonical: Mapping[str, str], rng: np.random.Generator) -> str:
    """One rendering of `report` with each recognised sentence in a randomly drawn wording.

    Args:
        report: sentences ending in "." (generated reports; translated ones where they match).
        canonical: `canonical_sentences(statements)`.
        rng: numpy generator (draws one wording per recognised sentence).

    Returns:
        The report with the same sentences in the same order; a likelihood prefix ("probable
        ...") is kept; unrecognised sentences are unchanged.

    Example:
        >>> rephrase_report("atrial fibrillation. lvh.", {"atrial fibrillation": "AFIB"},
        ...                 np.random.default_rng(0)) in {f"{w}. lvh." for w in PHRASINGS["AFIB"]}
        True
    """
    sentences = [s.strip() for s in re.split(r"(?<=\.)\s+", report.strip()) if s.strip()]
    out = []
    for sentence in sentences:
        body = sentence.rstrip(".")
        prefix = next((p for p in LIKELIHOOD_PREFIXES if body.startswith(p)), "")
        code = canonical.get(body[len(prefix) :])
        if code is not None:
            wordings = PHRASINGS[code]
            body = prefix + wordings[int(rng.integers(len(wordings)))]
        out.append(body + ".")
    return " ".join(out)


def report_variants(
    report: str, canonical: Mapping[str, str], k: int, seed: int, record_id: int
) -> list[str]:
    """K renderings of one report: the report itself first, then K - 1 rephrasings.

    Deterministic in (seed, record_id, k): the same run renders the same variants.

    Args:
        report: the training report. canonical: `canonical_sentences(statements)`.
        k: number of variants (>= 1). seed: run seed. record_id: e.g. the PTB-XL ecg_id.

    Returns:
        k strings (variants may coincide when a report has few recognised sentences).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    rng = np.random.default_rng([seed, record_id])
    return [report] + [rephrase_report(report, canonical, rng) for _ in range(k - 1)]
