"""Versioned zero-shot prompt sets: one JSON file per set in this folder (plain data).

A set gives, per task, the templates (each with one ``{}``) and, per class code, one or more
descriptions. A class is represented by every template x description prompt; its embedding is the
renormalised mean of their embeddings (CLIP prompt ensembling). Sets are chosen on fold 9 only
(`mets_core.evaluate.protocols.select_prompt_set`).

Files: ``paper.json`` (METS templates), ``plain.json`` (bare description), ``report.json`` (the
pretraining prompt), ``clinician_ensemble.json`` (several phrasings x two templates), and
``*_centred.json`` (the same prompts with class-mean centring).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import LabelInputError

PROMPT_SET_DIR = Path(__file__).resolve().parent / "prompt_sets"
PAPER_PROMPT_SET = "paper"
MITBIH_TASK = "mitbih"
MITBIH_CLASSES: tuple[str, ...] = ("N", "L", "R", "A", "V")  # WFDB beat symbols
PROMPT_TASK_CLASSES: dict[str, tuple[str, ...]] = {**TASK_CLASSES, MITBIH_TASK: MITBIH_CLASSES}


@dataclass(frozen=True)
class PromptSet:
    """Templates and class descriptions for every task.

    Attributes:
        name: file stem, e.g. "paper".
        version: the file's version string (bump when wording changes).
        description: what the set is and where its wording comes from.
        templates: task -> templates, each with exactly one ``{}``.
        labels: task -> class code -> descriptions.
        center: subtract the mean class embedding of a task before renormalising (removes what
            all class prompts share; `zeroshot.rank.build_label_embeddings(center=True)`).
    """

    name: str
    version: str
    description: str
    templates: dict[str, tuple[str, ...]]
    labels: dict[str, dict[str, tuple[str, ...]]]
    center: bool = False

    def prompts(self, task: str, code: str) -> list[str]:
        """Every template x description text for one class (template-major order)."""
        return [t.replace("{}", d) for t in self.templates[task] for d in self.labels[task][code]]

    @property
    def tag(self) -> str:
        return f"{self.name}@v{self.version}"


def available_prompt_sets() -> list[str]:
    """Names of the prompt sets shipped in this folder, sorted."""
    return sorted(p.stem for p in PROMPT_SET_DIR.glob("*.json"))


def _check(name: str, templates: dict, labels: dict) -> None:
    for task, codes in PROMPT_TASK_CLASSES.items():
        if task not in templates or task not in labels:
            raise LabelInputError(f"Prompt set {name!r} has no templates or labels for {task}.")
        bad = [t for t in templates[task] if t.count("{}") != 1]
        if bad or not templates[task]:
            raise LabelInputError(
                f"Prompt set {name!r}, task {task}: every template needs exactly one {{}}; "
                f"found {bad or 'none'}."
            )
        missing = [c for c in codes if not labels[task].get(c)]
        if missing:
            raise LabelInputError(
                f"Prompt set {name!r}, task {task}: no description for {', '.join(missing)}."
            )


def load_prompt_set(name: str | Path) -> PromptSet:
    """Load a shipped set by name ("paper", ...) or any JSON file of the same layout.

    Raises:
        LabelInputError: unknown name, or a file lacking a task, a class or a valid template.
    """
    path = Path(name) if str(name).endswith(".json") else PROMPT_SET_DIR / f"{name}.json"
    if not path.is_file():
        raise LabelInputError(
            f"Unknown prompt set {str(name)!r}; available: {', '.join(available_prompt_sets())}."
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    _check(path.stem, data.get("templates", {}), data.get("labels", {}))
    return PromptSet(
        name=str(data.get("name", path.stem)),
        version=str(data.get("version", "?")),
        description=str(data.get("description", "")),
        templates={t: tuple(v) for t, v in data["templates"].items()},
        labels={t: {c: tuple(d) for c, d in v.items()} for t, v in data["labels"].items()},
        center=bool(data.get("center", False)),
    )
