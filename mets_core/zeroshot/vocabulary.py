"""Known words: is a typed candidate like anything the model read in training?

The weights sidecar holds the distinct phrases of the training reports (folds 1-8, split at "."
and ";") and a similarity threshold chosen on fold 9 (`mets select`). A candidate is compared with
every phrase in the frozen language model's own space (mean-pooled sentence features, cosine):
the model's text head was trained only on these phrases, so a candidate far from all of them
(an abbreviation the LM does not expand, a condition never reported in the training data, a word
that is no diagnosis) gets a score that means little, whatever its rank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mets_core.model.load import LoadedModel

_SPLIT = re.compile(r"[.;]\s*")
MIN_PHRASE_CHARS = 3
# Everyday words and phrases that are no ECG finding: the negatives `mets select` places the
# known-words threshold against (with fold-9 report phrases as the positives). Fixed, not tuned.
CONTROL_WORDS = (
    "banana", "bicycle", "thunderstorm", "kitchen table", "football match", "piano lesson",
    "mountain", "coffee", "blue car", "birthday party", "garden", "umbrella", "newspaper",
    "holiday in spain", "cat", "library", "rain tomorrow", "train station", "chocolate cake",
    "computer keyboard", "summer", "a red apple", "dancing", "the weather is nice", "window",
    "elephant", "guitar", "ocean waves", "shopping list", "good morning",
)  # fmt: skip


@dataclass(frozen=True)
class PhraseMatch:
    """The closest training phrase to one candidate.

    Attributes:
        phrase: the training-report phrase, as written there.
        similarity: cosine in the frozen LM's sentence space, -1..1 (1 = the same wording).
        known: similarity >= the sidecar's fold-9 threshold; None when the weights carry none.
    """

    phrase: str
    similarity: float
    known: bool | None


def report_phrases(reports: list[str]) -> list[str]:
    """Distinct statements of reports ("sinus rhythm. normal ECG." -> two), first wording kept."""
    phrases: dict[str, str] = {}
    for report in reports:
        for part in _SPLIT.split(report):
            phrase = " ".join(part.split()).strip(" ,")
            if len(phrase) >= MIN_PHRASE_CHARS:
                phrases.setdefault(phrase.casefold(), phrase)
    return list(phrases.values())


@torch.inference_mode()
def _lm_features(model: LoadedModel, texts: list[str]) -> torch.Tensor:
    """(N, H) unit-norm frozen-LM sentence features (cached per text on the model)."""
    return F.normalize(model.text_cache.features(model.module.text_encoder, texts), dim=-1)


def phrase_similarities(
    model: LoadedModel, candidates: list[str], phrases: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate, the index of its closest phrase and the cosine: (C,) int, (C,) float."""
    phrase_features = model.text_embeddings.get_or_compute(  # text only, the same every ranking
        ("training phrases", tuple(phrases)), lambda: _lm_features(model, phrases)
    )
    similarity = _lm_features(model, candidates) @ phrase_features.t()
    best, index = similarity.max(dim=1)
    return index.cpu().numpy(), best.cpu().numpy()


def nearest_training_phrases(model: LoadedModel, candidates: list[str]) -> list[PhraseMatch] | None:
    """The closest training phrase of each candidate; None when the weights list no phrases."""
    vocabulary = model.weights.selection.get("vocabulary") or {}
    phrases = vocabulary.get("phrases")
    if not phrases:
        return None
    threshold = vocabulary.get("threshold")
    index, best = phrase_similarities(model, candidates, phrases)
    return [
        PhraseMatch(
            phrases[i], float(s), None if threshold is None else bool(s >= float(threshold))
        )
        for i, s in zip(index, best, strict=True)
    ]


def unknown_words_warning(candidates: list[str], matches: list[PhraseMatch] | None) -> str | None:
    """One plain sentence naming the candidates the model never saw anything like, or None."""
    if not matches:
        return None
    pairs = zip(candidates, matches, strict=True)
    unknown = [f"“{c}” (closest: “{m.phrase}”)" for c, m in pairs if m.known is False]
    if not unknown:
        return None
    return (
        "The model never saw anything like "
        + ", ".join(unknown)
        + " in its training reports: the score of these candidates means little. Spell out "
        "abbreviations and use report wording."
    )
