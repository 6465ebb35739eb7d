"""The class names a user types, and the candidate presets: read from the versioned prompt sets.

One source of class wording: `prompt_sets/plain.json` (the bare PTB-XL scp_statements.csv
descriptions, the words a clinician would type). Evaluation, the fold-9 validation during
training, the app's presets and its Explore page all read these names from here.
"""

from __future__ import annotations

from functools import cache

from mets_core.zeroshot.prompts import MITBIH_TASK, PROMPT_TASK_CLASSES, load_prompt_set

USER_WORDING_SET = "plain"  # the prompt set whose first description per class is the user's word

COMMON_DIFFERENTIAL = (  # a first list for an unknown tracing: frequent, clinically distinct
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
)


@cache
def task_labels() -> dict[str, dict[str, str]]:
    """task -> class code -> the plain class name, e.g. task_labels()["rhythm"]["AFIB"]."""
    plain = load_prompt_set(USER_WORDING_SET)
    return {
        task: {code: plain.labels[task][code][0] for code in codes}
        for task, codes in PROMPT_TASK_CLASSES.items()
    }


def class_names(task: str) -> list[str]:
    """The plain names of a task's classes, in the task's class order (TASK_CLASSES)."""
    labels = task_labels()[task]
    return [labels[code] for code in PROMPT_TASK_CLASSES[task]]


def presets() -> dict[str, list[str]]:
    """Candidate lists the app offers, by display name."""
    return {
        "Common differential": list(COMMON_DIFFERENTIAL),
        "PTB-XL superclass": class_names("superclass"),
        "PTB-XL form": class_names("form"),
        "PTB-XL rhythm": class_names("rhythm"),
        "MIT-BIH beats": class_names(MITBIH_TASK),
    }
