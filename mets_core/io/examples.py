"""Bundled real example ECGs (PTB-XL, MIT-BIH) so the app is useful without a dataset folder.

The records live in `mets_core/io/examples_data/` with their licence and attribution
(`examples_data/README.md`) and are read by the generic `mets_core.io.load_record`. PTB-XL
records are byte-identical copies of the PhysioNet files; the MIT-BIH record is a 10 s excerpt
written with `wfdb.wrsamp` from the unmodified digital values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mets_core.errors import ECGInputError
from mets_core.io.load import load_record
from mets_core.record import ECGRecord

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples_data"

_PTBXL_SOURCE = (
    "PTB-XL v1.0 (Wagner et al., Scientific Data 2020; PhysioNet), ecg_id {ecg_id}, "
    "strat_fold {fold}{fold_note}"
)
_PTBXL_LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
_MITBIH_LICENCE = "ODC-By 1.0 (https://opendatacommons.org/licenses/by/1-0/)"
_TEST_FOLD = " (the PTB-XL test fold)"


@dataclass(frozen=True)
class ExampleInfo:
    """One bundled example record.

    Attributes:
        key: short identifier passed to `load_example`, e.g. ``"ptbxl_normal"``.
        title: one-line name for a picker, e.g. ``"Normal ECG (PTB-XL 417)"``.
        description: what a clinician will see on the tracing, in plain words.
        diagnosis_reference: the dataset's own labels and report (the reference, not our output).
        source: dataset, record id and split (PTB-XL fold).
        licence: licence name and URI.
        path: WFDB record path without extension (``.hea`` / ``.dat`` next to it).
    """

    key: str
    title: str
    description: str
    diagnosis_reference: str
    source: str
    licence: str
    path: Path


def _ptbxl(key: str, title: str, description: str, reference: str, name: str, fold: int):
    ecg_id = int(name.split("_")[0])
    note = _TEST_FOLD if fold == 10 else ""
    source = _PTBXL_SOURCE.format(ecg_id=ecg_id, fold=fold, fold_note=note)
    return ExampleInfo(
        key, title, description, reference, source, _PTBXL_LICENCE, EXAMPLES_DIR / name
    )


_EXAMPLES: tuple[ExampleInfo, ...] = (
    _ptbxl(
        "ptbxl_normal",
        "Normal ECG (PTB-XL 417, 500 Hz)",
        "12-lead, 10 s, 500 Hz. Sinus rhythm, normal ECG.",
        "SCP codes: NORM 100 (normal ECG), SR (sinus rhythm). Report: 'sinus rhythm. normal ecg.' "
        "Validated by a cardiologist.",
        "00417_hr",
        10,
    ),
    _ptbxl(
        "ptbxl_afib",
        "Atrial fibrillation (PTB-XL 318, 500 Hz)",
        "12-lead, 10 s, 500 Hz. Irregularly irregular rhythm without P waves; ST depression.",
        "SCP codes: AFIB (atrial fibrillation), NDT 100 (non-diagnostic T abnormalities), DIG 80 "
        "(digitalis effect), STD_ (non-specific ST depression). Report: 'atrial fibrillation. st "
        "segments are depressed in ii, iii, avf, v4,5,6. non-specific but consistent with "
        "myocardial ischaemia and digitalis effect.'",
        "00318_hr",
        10,
    ),
    _ptbxl(
        "ptbxl_lbbb",
        "Left bundle branch block (PTB-XL 180, 500 Hz)",
        "12-lead, 10 s, 500 Hz. Sinus rhythm with a broad QRS and left axis: complete LBBB.",
        "SCP codes: CLBBB 100 (complete left bundle branch block), SR (sinus rhythm). Report "
        "(Swedish): 'sinusrytm vänster el-axel vänstersidigt skänkelblock' = sinus rhythm, left "
        "axis, left bundle branch block.",
        "00180_hr",
        10,
    ),
    _ptbxl(
        "ptbxl_anterior_mi",
        "Anterior (anteroseptal) MI (PTB-XL 526, 100 Hz)",
        "12-lead, 10 s, 100 Hz. Sinus rhythm; anteroseptal infarct pattern in V1-V3.",
        "SCP codes: ASMI 100 (anteroseptal myocardial infarction), SR (sinus rhythm); PTB-XL "
        "subclass AMI. Report (Swedish): 'sinusrytm misstänkt hypertrofi av vänster förmak "
        "avvikande qrs(t) förlopp anteroseptal infarkt sannolikt äldre' = sinus rhythm, suspected "
        "left atrial enlargement, abnormal QRS(T), anteroseptal infarct, probably old.",
        "00526_lr",
        10,
    ),
    _ptbxl(
        "ptbxl_lvh",
        "Left ventricular hypertrophy (PTB-XL 534, 100 Hz)",
        "12-lead, 10 s, 100 Hz. High precordial voltages with ST-T changes (strain pattern).",
        "SCP codes: LVH 100 (left ventricular hypertrophy), ISC_ 100 (non-specific ischaemic). "
        "Report (Swedish), in English: sinus arrhythmia, moderate amplitude criteria for left "
        "ventricular hypertrophy, ST-T depression as in anterolateral ischaemia or left "
        "ventricular strain, T changes as in anterior and inferolateral myocardial involvement.",
        "00534_lr",
        10,
    ),
    _ptbxl(
        "ptbxl_sinus_tachycardia",
        "Sinus tachycardia (PTB-XL 1158, 100 Hz)",
        "12-lead, 10 s, 100 Hz. Sinus rhythm above 100 bpm.",
        "PTB-XL labels (MERL label tables; no report text available here): rhythm STACH (sinus "
        "tachycardia), superclass NORM, form PAC (premature atrial complex) and NT (non-specific "
        "T change).",
        "01158_lr",
        10,
    ),
    ExampleInfo(
        "mitbih_pvc",
        "Ventricular bigeminy / PVCs (MIT-BIH 119 excerpt, 360 Hz)",
        "2 leads (MLII shown as II, modified V1), 10 s, 360 Hz. Every other beat is a uniform "
        "premature ventricular contraction (bigeminy).",
        "MIT-BIH reference beat annotations in this excerpt: V N V N V N V N V N V (6 PVCs, "
        "5 normal beats). Header: 'The PVCs are uniform.'",
        "MIT-BIH Arrhythmia Database v1.0.0 (Moody & Mark 2001; PhysioNet), record 119, "
        "samples 68400-72000 (00:03:10-00:03:20)",
        _MITBIH_LICENCE,
        EXAMPLES_DIR / "mitdb_119_excerpt",
    ),
)


def list_examples() -> list[ExampleInfo]:
    """Return every bundled example, normal ECG first.

    Returns:
        A list of `ExampleInfo`; `info.key` is what `load_example` takes.
    """
    return list(_EXAMPLES)


def load_example(key: str) -> ECGRecord:
    """Load one bundled example as a validated `ECGRecord` in millivolts.

    Args:
        key: one of the keys from `list_examples()`, e.g. ``"ptbxl_afib"``.

    Returns:
        The record, shape (L, T) float32 mV; its notes state the source and licence.

    Raises:
        ECGInputError: when the key is unknown (the message lists the valid keys).
    """
    by_key = {info.key: info for info in _EXAMPLES}
    if key not in by_key:
        raise ECGInputError(
            f"There is no bundled example called {key!r}; choose one of {', '.join(by_key)}."
        )
    info = by_key[key]
    record = load_record(info.path.with_suffix(".hea"))
    return record.with_notes(f"Example: {info.source}. Licence: {info.licence}.")
