"""Zero-shot scoring: free-text candidates against one ECG (METS section 3.3).

The cosine between the ECG and each candidate prompt is the score. A softmax over the candidates
given turns cosines into probabilities that sum to one over that list: with the temperature fitted
on fold 9 (`mets select`, stored in the weights sidecar) they are calibrated for choosing one of
the PTB-XL superclass or rhythm lists; for any list they say "which of these, if one of them",
never the probability that the patient has a condition.

With the weights' reference bank (training-fold ECGs, `model.reference_bank`) a ranking also
carries each candidate's percentile among the reference ECGs and the most similar reference
ECGs (`zeroshot.reference`); every ranking says whether the model should abstain on this input
(`zeroshot.abstain`).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mets_core.errors import LabelInputError
from mets_core.model.checkpoint import WeightsInfo
from mets_core.model.device import describe_device
from mets_core.model.load import LoadedModel, encode_ecg, encode_text
from mets_core.notes import warning
from mets_core.record import ECGRecord
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot.abstain import (
    NO_BANK_NOTE,
    AbstainThresholds,
    abstain_reason,
    failed_check,
    measure_input,
)
from mets_core.zeroshot.calibration import serving_temperature
from mets_core.zeroshot.reference import Neighbour, nearest_references, reference_percentiles
from mets_core.zeroshot.vocabulary import nearest_training_phrases, unknown_words_warning

MAX_CANDIDATES = 100
MAX_CANDIDATE_CHARS = 300
UNIFORM_COSINE_SPREAD = 0.02  # max - min cosine below this: "the model barely separates these"
NEAR_TIE_COSINE = 0.02  # top two closer than this: named as a near-tie (a fixed rule, not tuned)


@dataclass(frozen=True)
class RankedCandidate:
    candidate: str
    prompt: str  # the exact text sent to the language model
    cosine: float  # in [-1, 1]
    probability: float  # softmax over the given candidates (Ranking.temperature, calibrated?)
    percentile: float | None = None  # 0-100: share of reference ECGs less similar to this text
    nearest_training_phrase: str | None = None  # closest training-report phrase (vocabulary)
    phrase_similarity: float | None = None  # its frozen-LM cosine; low: the model never saw it


@dataclass(frozen=True)
class Ranking:
    """Candidates best first, plus what was done to get there. Iterating yields RankedCandidate."""

    items: tuple[RankedCandidate, ...]
    notes: tuple[str, ...]
    device: str
    elapsed_s: float
    temperature: float  # the softmax temperature used for `probability`
    weights: WeightsInfo
    uniformity_warning: str | None
    calibrated: bool = False  # temperature fitted on fold 9 (else the training temperature)
    abstain: bool = False  # True: not an ECG the model learned from; the ranking means little
    abstain_reason: str | None = None  # why, in plain words (None when not abstaining)
    neighbours: tuple[Neighbour, ...] | None = None  # most similar reference ECGs; None: no bank
    input_checks: dict | None = None  # what the abstain checks measured (zeroshot.abstain)
    cautions: tuple[str, ...] = ()  # near-tie, single candidate, words never seen in training

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> RankedCandidate:
        return self.items[index]

    def to_dict(self) -> dict:
        """JSON-ready: ranking list, notes, device, weights (name, sha256, trained)."""
        return {
            "ranking": [
                {
                    "candidate": r.candidate,
                    "prompt": r.prompt,
                    "cosine": r.cosine,
                    "probability": r.probability,
                    "percentile": r.percentile,
                    "nearest_training_phrase": r.nearest_training_phrase,
                    "phrase_similarity": r.phrase_similarity,
                }
                for r in self.items
            ],
            "abstain": self.abstain,
            "abstain_reason": self.abstain_reason,
            "neighbours": None
            if self.neighbours is None
            else [n.to_dict() for n in self.neighbours],
            "input_checks": self.input_checks,
            "notes": list(self.notes),
            "device": self.device,
            "elapsed_s": self.elapsed_s,
            "temperature": self.temperature,
            "calibrated": self.calibrated,
            "uniformity_warning": self.uniformity_warning,
            "cautions": list(self.cautions),
            "weights": {
                "name": self.weights.name,
                "sha256": self.weights.sha256,
                "trained": self.weights.trained,
                "status": "trained" if self.weights.trained else "random-init",
            },
        }


def probability_name(ranking: Ranking) -> str:
    """What `RankedCandidate.probability` is called wherever it is shown (tables, exports, text).

    With a temperature fitted on fold 9 (sidecar `selection.probability_temperature`) it is a
    calibrated probability among the candidates; without one, an uncalibrated relative score.
    """
    if ranking.calibrated:
        return "probability among these candidates (calibrated on fold 9)"
    return "relative score among these candidates (not calibrated)"


def probability_meaning(ranking: Ranking) -> str:
    """One sentence on what `RankedCandidate.probability` means for this ranking (app and CLI)."""
    among = f"over these {len(ranking)} candidates only"
    if ranking.calibrated:
        return (
            f"Probability = softmax(cosine / {ranking.temperature:.3f}) {among}, with the "
            "temperature fitted on PTB-XL fold 9 so that, for the PTB-XL class lists, the top "
            "answer's probability comes close to how often it is right; on held-out records it "
            "still differs from the hit rate by up to about 10 points (model card). It "
            "answers 'which of these, if one of them is right', not 'how likely "
            "is this disease'."
        )
    return (
        f"Relative score = softmax(cosine / {ranking.temperature:.3f}) {among}, at the training "
        "temperature: not calibrated (these weights carry no fold-9 temperature), so it "
        "overstates confidence. It is not a probability of disease."
    )


def parse_candidates(candidates: list[str] | str) -> list[str]:
    """Clean a candidate list (or one-per-line text): strip blanks; reject empty, duplicate, huge.

    Raises:
        LabelInputError: no candidate, a duplicate (case-insensitive), more than MAX_CANDIDATES,
            or one longer than MAX_CANDIDATE_CHARS characters.
    """
    lines = candidates.splitlines() if isinstance(candidates, str) else list(candidates)
    cleaned = [" ".join(str(line).split()) for line in lines]
    cleaned = [line for line in cleaned if line]
    if not cleaned:
        raise LabelInputError("Enter at least one candidate diagnosis (one per line).")
    if len(cleaned) > MAX_CANDIDATES:
        raise LabelInputError(
            f"{len(cleaned)} candidates were given; at most {MAX_CANDIDATES} can be ranked at once."
        )
    long = [c[:40] + "..." for c in cleaned if len(c) > MAX_CANDIDATE_CHARS]
    if long:
        raise LabelInputError(
            f"Candidate diagnoses must be under {MAX_CANDIDATE_CHARS} "
            f"characters; too long: {'; '.join(long)}."
        )
    seen: dict[str, str] = {}
    for candidate in cleaned:
        if candidate.lower() in seen:
            raise LabelInputError(f"The candidate {candidate!r} is listed twice; remove one.")
        seen[candidate.lower()] = candidate
    return cleaned


def fill_prompt(template: str, candidate: str) -> str:
    """Put a candidate into a template with one ``{}`` slot."""
    if template.count("{}") != 1:
        raise LabelInputError(
            f"The prompt template must contain exactly one {{}} where the "
            f"diagnosis goes; found {template!r}."
        )
    return template.replace("{}", candidate)


def build_label_embeddings(
    model: LoadedModel,
    labels: list[str],
    templates: list[str] | None = None,
    center: bool = False,
) -> torch.Tensor:
    """C labels x K templates -> (C, D): mean over templates, renormalised (CLIP ensembling).

    The result depends on the text and the model only, so it is kept in the model's
    `text_embeddings` cache (keyed by the module itself, the labels, templates and `center`):
    ranking the same list again costs a lookup. Treat the returned tensor as read-only.

    Args:
        center: subtract the mean label embedding before renormalising, removing what all the
            candidates share (e.g. "ECG"); needs >= 2 labels. Scores then depend on which
            candidates were given together. On fold 9 it raises the text-oracle AUROC
            (results/text_oracle.json).
    """
    templates = templates or [model.config.zero_shot_template]
    key = (weakref.ref(model.module), tuple(labels), tuple(templates), center)
    return model.text_embeddings.get_or_compute(
        key, lambda: _label_embeddings(model, labels, templates, center)
    )


def _label_embeddings(
    model: LoadedModel, labels: list[str], templates: list[str], center: bool
) -> torch.Tensor:
    prompts = [fill_prompt(t, label) for label in labels for t in templates]
    emb = encode_text(model, prompts).reshape(len(labels), len(templates), -1).mean(dim=1)
    emb = F.normalize(emb, dim=-1)
    return center_embeddings(emb) if center else emb


def center_embeddings(emb: torch.Tensor) -> torch.Tensor:
    """(C, D) unit-norm -> (C, D): subtract the mean over the C rows, renormalise (C >= 2)."""
    if len(emb) < 2:
        return emb
    return F.normalize(emb - emb.mean(dim=0, keepdim=True), dim=-1)


def score_labels(
    ecg_emb: torch.Tensor, label_emb: torch.Tensor, logit_scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """(D,) or (B, D) ECG and (C, D) labels -> cosines and softmax(logit_scale * cos), (…, C)."""
    cosines = ecg_emb.float() @ label_emb.float().t()
    probabilities = torch.softmax(logit_scale * cosines, dim=-1)
    return cosines.cpu().numpy(), probabilities.cpu().numpy()


def rank(
    model: LoadedModel,
    record: ECGRecord,
    candidates: list[str] | str,
    template: str | None = None,
    center: bool = False,
) -> Ranking:
    """Rank free-text candidate diagnoses for one ECG, best first.

    `center=True` removes the mean candidate embedding first (see `build_label_embeddings`).
    The ranking also says whether to abstain (`Ranking.abstain`, `abstain_reason`) and, when the
    weights ship a reference bank, each candidate's percentile and the nearest reference ECGs.

    Raises:
        LabelInputError: for a bad candidate list or template. ECGInputError: for a bad record.
    """
    start = time.perf_counter()
    labels = parse_candidates(candidates)
    template = template if template is not None else model.config.zero_shot_template
    prepared = preprocess_for_model(record, model.config.preprocess)
    label_emb = build_label_embeddings(model, labels, [template], center=center)
    temperature = serving_temperature(model, len(labels))  # fold-9 fit (zeroshot.calibration)
    scale = 1.0 / temperature
    ecg_emb = encode_ecg(model, prepared.windows)
    cosines, probabilities = score_labels(ecg_emb, label_emb, scale)
    bank = model.reference
    percentiles = None if bank is None else reference_percentiles(bank, label_emb, cosines)
    matches = nearest_training_phrases(model, labels)
    order = np.argsort(-cosines, kind="stable")
    items = tuple(
        RankedCandidate(
            labels[i],
            fill_prompt(template, labels[i]),
            float(cosines[i]),
            float(probabilities[i]),
            None if percentiles is None else float(percentiles[i]),
            None if matches is None else matches[i].phrase,
            None if matches is None else matches[i].similarity,
        )
        for i in order
    )
    thresholds = AbstainThresholds.from_sidecar(model.weights.abstain, bank is not None)
    neighbours = None if bank is None else nearest_references(bank, ecg_emb, thresholds.k)
    checks = measure_input(record, prepared, neighbours, model.config.preprocess.fs_hz)
    reason = abstain_reason(checks, thresholds)
    failed = {"failed_check": failed_check(checks, thresholds)}
    notes = record.notes + prepared.notes + _truncation_notes(model, [r.prompt for r in items])
    notes += (NO_BANK_NOTE,) if bank is None else ()
    return Ranking(
        items,
        notes,
        describe_device(model.device),
        time.perf_counter() - start,
        temperature,
        model.weights,
        _uniformity_warning(cosines),
        model.calibrated,
        abstain=reason is not None,
        abstain_reason=reason,
        neighbours=neighbours,
        input_checks=checks.to_dict() | failed,
        cautions=_list_cautions(items)
        + tuple(filter(None, [unknown_words_warning(labels, matches)])),
    )


def _list_cautions(items: tuple[RankedCandidate, ...]) -> tuple[str, ...]:
    """Plain-word cautions about the candidate list itself: one candidate, or a near-tie on top."""
    if len(items) == 1:
        return (
            f"Only one candidate was given, so its probability is 100 % by construction; add "
            f"the alternatives you are weighing against “{items[0].candidate}”.",
        )
    first, second = items[0], items[1]
    if first.cosine - second.cosine < NEAR_TIE_COSINE:
        return (
            f"“{first.candidate}” and “{second.candidate}” are nearly tied (cosine "
            f"{first.cosine:.3f} vs {second.cosine:.3f}): the model does not separate them.",
        )
    return ()


def _uniformity_warning(cosines: np.ndarray) -> str | None:
    if len(cosines) > 1 and float(cosines.max() - cosines.min()) < UNIFORM_COSINE_SPREAD:
        return (
            f"The scores are nearly uniform (cosines differ by less than "
            f"{UNIFORM_COSINE_SPREAD}): the model barely separates these candidates."
        )
    return None


def _truncation_notes(model: LoadedModel, prompts: list[str]) -> tuple[str, ...]:
    limit = model.config.text.max_tokens
    encoder = model.module.text_encoder
    return tuple(  # a warning: the model did not read the whole candidate
        warning(f"prompt {p[:30]!r}... truncated to {limit} tokens")
        for p in prompts
        if len(p) > limit and encoder.count_tokens(p) > limit
    )


def lead_importance(
    model: LoadedModel, record: ECGRecord, candidate: str, template: str | None = None
) -> dict[str, float]:
    """Occlusion: cosine change for `candidate` when each present lead is set to zero.

    Returns:
        lead name -> (cosine with the lead masked) - (full cosine). Negative means the lead
        supported the candidate. Missing leads are omitted. All masked copies run in one batch.
    """
    template = template if template is not None else model.config.zero_shot_template
    prepared = preprocess_for_model(record, model.config.preprocess)
    label = build_label_embeddings(model, [candidate], [template])[0]
    present = [i for i, ok in enumerate(prepared.lead_present) if ok]
    n_windows = len(prepared.windows)
    batch = np.repeat(prepared.windows[None], len(present) + 1, axis=0)  # (1 + P, N, L, T)
    for row, lead_index in enumerate(present, start=1):
        batch[row, :, lead_index] = 0.0
    with torch.inference_mode():
        x = torch.from_numpy(batch.reshape(-1, *batch.shape[2:])).to(model.device)
        emb = model.module.encode_ecg(x).reshape(len(present) + 1, n_windows, -1).mean(dim=1)
        cosines = (F.normalize(emb, dim=-1) @ label).cpu().numpy()
    names = model.config.preprocess.lead_names
    return {names[i]: float(cosines[row] - cosines[0]) for row, i in enumerate(present, start=1)}
