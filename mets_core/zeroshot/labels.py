"""Prompt templates and label sets: plain data, versioned with the package.

Class codes follow PTB-XL / MERL column names; each maps to the English wording sent to the LM.
The `description` wording comes from PTB-XL's scp_statements.csv where one exists.
"""

from __future__ import annotations

PROMPT_SET_VERSION = "1"

PAPER_PRETRAIN_TEMPLATE = "The report of the ECG is that {}"  # METS section 3.2
PAPER_ZERO_SHOT_TEMPLATES = {  # METS section 4.2; the rhythm form is the paper's by analogy
    "diagnostic": "The ECG of {}, a type of diagnostic.",
    "form": "The ECG of {}, a type of form.",
    "rhythm": "The ECG of {}, a type of rhythm.",
}
DEFAULT_TEMPLATE = "{}"  # plain description; chosen over the paper template on fold 9

SUPERCLASS = {
    "NORM": "normal ECG",
    "MI": "myocardial infarction",
    "STTC": "ST/T change",
    "CD": "conduction disturbance",
    "HYP": "hypertrophy",
}
SUBCLASS = {
    "NORM": "normal ECG",
    "AMI": "anterior myocardial infarction",
    "IMI": "inferior myocardial infarction",
    "LMI": "lateral myocardial infarction",
    "PMI": "posterior myocardial infarction",
    "LVH": "left ventricular hypertrophy",
    "RVH": "right ventricular hypertrophy",
    "SEHYP": "septal hypertrophy",
    "LAO/LAE": "left atrial overload/enlargement",
    "RAO/RAE": "right atrial overload/enlargement",
    "CLBBB": "complete left bundle branch block",
    "CRBBB": "complete right bundle branch block",
    "ILBBB": "incomplete left bundle branch block",
    "IRBBB": "incomplete right bundle branch block",
    "LAFB/LPFB": "left anterior or posterior fascicular block",
    "IVCD": "non-specific intraventricular conduction disturbance (block)",
    "WPW": "Wolff-Parkinson-White syndrome",
    "AVB": "atrioventricular block",
    "ISCA": "ischemic ST-T changes in anterior leads",
    "ISCI": "ischemic ST-T changes in inferior leads",
    "ISC": "ischemic ST-T changes",
    "STTC": "non-diagnostic ST-T changes",
    "NST": "non-specific ST changes",
}
FORM = {
    "NDT": "non-diagnostic T abnormalities",
    "NST": "non-specific ST changes",
    "DIG": "digitalis-effect",
    "LNGQT": "long QT-interval",
    "ABQRS": "abnormal QRS",
    "PVC": "ventricular premature complex",
    "STD": "non-specific ST depression",
    "VCLVH": "voltage criteria (QRS) for left ventricular hypertrophy",
    "QWAVE": "Q waves present",
    "LOWT": "low amplitude T-waves",
    "NT": "non-specific T-wave changes",
    "PAC": "atrial premature complex",
    "LPR": "prolonged PR interval",
    "INVT": "inverted T-waves",
    "LVOLT": "low QRS voltages in the frontal and horizontal leads",
    "HVOLT": "high QRS voltage",
    "TAB": "T-wave abnormality",
    "STE": "non-specific ST elevation",
    "PRC(S)": "premature complex(es)",
}
RHYTHM = {
    "SR": "sinus rhythm",
    "AFIB": "atrial fibrillation",
    "STACH": "sinus tachycardia",
    "SARRH": "sinus arrhythmia",
    "SBRAD": "sinus bradycardia",
    "PACE": "normal functioning artificial pacemaker",
    "SVARR": "supraventricular arrhythmia",
    "BIGU": "bigeminal pattern",
    "AFLT": "atrial flutter",
    "SVTAC": "supraventricular tachycardia",
    "PSVT": "paroxysmal supraventricular tachycardia",
    "TRIGU": "trigeminal pattern",
}
MITBIH_BEATS = {
    "N": "normal beat",
    "L": "left bundle branch block beat",
    "R": "right bundle branch block beat",
    "A": "atrial premature beat",
    "V": "premature ventricular contraction",
}
TASK_LABELS: dict[str, dict[str, str]] = {
    "superclass": SUPERCLASS,
    "subclass": SUBCLASS,
    "form": FORM,
    "rhythm": RHYTHM,
    "mitbih": MITBIH_BEATS,
}
COMMON_DIFFERENTIAL = [
    "normal ECG",
    "sinus rhythm",
    "sinus tachycardia",
    "sinus bradycardia",
    "atrial fibrillation",
    "atrial flutter",
    "complete left bundle branch block",
    "complete right bundle branch block",
    "anterior myocardial infarction",
    "inferior myocardial infarction",
    "left ventricular hypertrophy",
    "first degree atrioventricular block",
    "ventricular premature complex",
    "non-specific ST changes",
    "long QT-interval",
]
PRESETS: dict[str, list[str]] = {
    "Common differential": COMMON_DIFFERENTIAL,
    "PTB-XL superclass": list(SUPERCLASS.values()),
    "PTB-XL form": list(FORM.values()),
    "PTB-XL rhythm": list(RHYTHM.values()),
    "MIT-BIH beats": list(MITBIH_BEATS.values()),
}
