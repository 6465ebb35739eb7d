"""Sanity check: does a ranking depend on the ECG at all? Rank the same candidates for controls.

A model that is not looking at the tracing gives the same answer for anything. The controls are
made from the record itself, so they keep its leads, rate and length:

* a flat line (every lead 10 uV of noise: no heart activity; an exactly constant record is
  refused by `preprocess_for_model`);
* the leads shuffled (the same waveforms under the wrong lead names);
* noise only (Gaussian noise with each lead's own standard deviation: amplitude, no ECG).

For each control we report its top candidate, whether it is the real ECG's top candidate, and
the Spearman correlation of its cosines with the real ECG's (1 = the same ordering). The
verdict flags a ranking whose top answer survives the flat line or the noise.

The controls depend on the record only, not on the candidates: `embed_controls` makes and embeds
them once per record (the app keeps them with the record in use), and `sanity_check` then only
scores each new candidate list against them, exactly as `rank` would (same preprocessing, same
encoder, same text embeddings and temperature).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import torch

from mets_core.model.load import LoadedModel, encode_ecg
from mets_core.record import ECGRecord
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot.calibration import serving_temperature
from mets_core.zeroshot.rank import Ranking, build_label_embeddings, score_labels

FLOAT = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ControlResult:
    """How one control ECG was ranked, against the real one.

    Attributes:
        name: the control, e.g. "flat line".
        description: what was done to the record, in plain words.
        top_candidate: the control's top-ranked candidate.
        same_top: True when that is also the real ECG's top candidate.
        spearman: rank correlation of the control's cosines with the real ECG's (nan when
            either is constant or there are fewer than 3 candidates).
    """

    name: str
    description: str
    top_candidate: str
    same_top: bool
    spearman: float


FLAT_NOISE_MV = 0.01  # the "flat line": 10 uV of noise, about what a disconnected lead shows


def _flat(signal: FLOAT, rng: np.random.Generator) -> FLOAT:
    return (rng.standard_normal(signal.shape) * FLAT_NOISE_MV).astype(np.float32)


def _shuffled(signal: FLOAT, rng: np.random.Generator) -> FLOAT:
    if signal.shape[0] < 2:
        return signal[:, ::-1].copy()  # one lead: reversed in time instead
    order = rng.permutation(signal.shape[0])
    while np.array_equal(order, np.arange(signal.shape[0])):
        order = rng.permutation(signal.shape[0])
    return signal[order]


def _noise(signal: FLOAT, rng: np.random.Generator) -> FLOAT:
    spread = signal.std(axis=1, keepdims=True)
    return (rng.standard_normal(signal.shape) * spread).astype(np.float32)


CONTROLS: tuple[tuple[str, str, Callable[[FLOAT, np.random.Generator], FLOAT]], ...] = (
    ("flat line", "every lead replaced by 10 µV of noise", _flat),
    ("leads shuffled", "the same waveforms under other lead names", _shuffled),
    ("noise only", "random noise with each lead's own amplitude", _noise),
)


def _spearman(first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]) -> float:
    if first.size < 3 or np.ptp(first) == 0 or np.ptp(second) == 0:
        return float("nan")
    from scipy.stats import spearmanr  # lazy: scipy.stats costs ~0.5 s to import

    return float(spearmanr(first, second).statistic)


def _cosines(ranking: Ranking, order: list[str]) -> npt.NDArray[np.float64]:
    by_name = {item.candidate: item.cosine for item in ranking}
    return np.array([by_name[name] for name in order], dtype=np.float64)


@dataclass(frozen=True)
class ControlEmbeddings:
    """The controls made from one record, each embedded by one model.

    Attributes:
        embeddings: one (D,) ECG embedding per entry of CONTROLS, in that order.
        seed: the seed of the shuffling and the noise.
    """

    embeddings: tuple[torch.Tensor, ...]
    seed: int


def embed_controls(model: LoadedModel, record: ECGRecord, seed: int = 0) -> ControlEmbeddings:
    """Make each control from `record` (signal (L, T) in mV) and embed it as `rank` would.

    Raises:
        ECGInputError: when a control cannot be preprocessed (as `rank` would raise).
    """
    rng = np.random.default_rng(seed)
    embeddings = []
    for _name, _description, make in CONTROLS:
        control = replace(record, signal=make(record.signal, rng), notes=())
        prepared = preprocess_for_model(control, model.config.preprocess)
        embeddings.append(encode_ecg(model, prepared.windows))
    return ControlEmbeddings(tuple(embeddings), seed)


def sanity_check(
    model: LoadedModel,
    record: ECGRecord,
    reference: Ranking,
    *,
    template: str | None = None,
    center: bool = False,
    seed: int = 0,
    controls: ControlEmbeddings | None = None,
) -> list[ControlResult]:
    """Rank the reference ranking's candidates for each control made from `record`.

    Args:
        model: the loaded model. record: the ECG behind `reference`, signal (L, T) in mV.
        reference: the ranking of the real ECG (its candidates are re-used in its order).
        template, center: as used for `reference`.
        seed: seed of the shuffling and the noise.
        controls: `embed_controls(model, record, seed)` made earlier for this record and model,
            so that a new candidate list costs no ECG encoding; None = embed them now.

    Returns:
        One ControlResult per entry of CONTROLS, in that order.
    """
    if controls is None or controls.seed != seed:
        controls = embed_controls(model, record, seed)
    names = [item.candidate for item in reference]
    template = template if template is not None else model.config.zero_shot_template
    label_emb = build_label_embeddings(model, names, [template], center=center)
    scale = 1.0 / serving_temperature(model, len(names))
    real = _cosines(reference, names)
    results = []
    for (name, description, _make), embedding in zip(CONTROLS, controls.embeddings, strict=True):
        cosines = score_labels(embedding, label_emb, scale)[0].reshape(-1).astype(np.float64)
        top = names[int(np.argsort(-cosines, kind="stable")[0])]  # rank's order
        spearman = _spearman(real, cosines)
        results.append(ControlResult(name, description, top, top == names[0], spearman))
    return results


_NO_ECG_CONTROLS = {"flat line": "a flat line", "noise only": "pure noise"}


def verdict(results: list[ControlResult]) -> str | None:
    """A plain warning when the top answer survives a control with no ECG in it, else None."""
    blind = [_NO_ECG_CONTROLS[r.name] for r in results if r.same_top and r.name in _NO_ECG_CONTROLS]
    if not blind:
        return None
    return (
        f"The top candidate is the same for {' and for '.join(blind)} as for this ECG: this "
        "answer may reflect the model's default more than the tracing. Compare the scores of "
        "the other candidates before reading anything into it."
    )


def as_rows(results: list[ControlResult]) -> list[dict[str, str]]:
    """Rows for a table: control, what was done, its top candidate, same top, rank correlation."""
    return [
        {
            "control": r.name,
            "what was done": r.description,
            "top candidate": r.top_candidate,
            "same top as the ECG": "yes" if r.same_top else "no",
            "rank correlation with the ECG": "—" if np.isnan(r.spearman) else f"{r.spearman:+.2f}",
        }
        for r in results
    ]
