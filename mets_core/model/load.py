"""Loading a model for use, and the two encoders at inference time (CLIP's load / encode_*)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from mets_core.config import METSConfig
from mets_core.model.checkpoint import DEFAULT_WEIGHTS, WeightsInfo, read_weights
from mets_core.model.device import resolve_device
from mets_core.model.lru import LRUCache
from mets_core.model.mets import METSEnsemble, METSModel, build_model
from mets_core.model.reference_bank import ReferenceBank, bank_path, read_reference_bank
from mets_core.model.text_encoder import FrozenTextEncoder


class TextFeatureCache:
    """Thread-safe LRU of frozen-LM features by text: re-ranking the same candidates skips the LM.

    Holds only candidate/prompt text features (deterministic outputs of the frozen LM), never ECG
    data; bounded so a long-running server cannot grow without limit.
    """

    def __init__(self, max_entries: int = 4096):
        self.max_entries = max_entries
        self._store: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()
        self.lm_calls = 0  # how many times the LM actually ran (for tests and benchmarks)

    def features(self, encoder: FrozenTextEncoder, texts: list[str]) -> torch.Tensor:
        """list of N texts -> (N, hidden_size) CPU features, running the LM only for new texts."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._store))
        if missing:
            computed = encoder(missing).float().cpu()
            with self._lock:
                self.lm_calls += 1
                for text, row in zip(missing, computed, strict=True):
                    self._store[text] = row
                while len(self._store) > self.max_entries:
                    self._store.popitem(last=False)
        with self._lock:
            for text in texts:
                self._store.move_to_end(text)
            return torch.stack([self._store[t] for t in texts])


@dataclass(frozen=True)
class LoadedModel:
    """A METS model ready for inference, with its preprocessing contract (config.preprocess)."""

    module: METSModel | METSEnsemble
    config: METSConfig
    device: torch.device
    weights: WeightsInfo
    text_cache: TextFeatureCache = field(default_factory=TextFeatureCache)
    # (C, D) label embeddings by (module, labels, templates, center): `build_label_embeddings`
    # of a repeated candidate list costs a lookup. Text-derived only (model.lru).
    text_embeddings: LRUCache[torch.Tensor] = field(default_factory=lambda: LRUCache(64))
    reference: ReferenceBank | None = None  # training-fold ECGs shipped with the weights, if any

    @property
    def temperature(self) -> float:
        """The contrastive temperature learned in training (1 / logit_scale)."""
        return float(1.0 / self.module.scale().item())

    @property
    def probability_temperature(self) -> float:
        """The temperature `rank` divides cosines by before the softmax: the one fitted on fold 9
        (`mets select`) when the sidecar has it, otherwise the learned one (uncalibrated)."""
        fitted = self.weights.selection.get("probability_temperature")
        return float(fitted) if fitted else self.temperature

    @property
    def calibrated(self) -> bool:
        """Whether `rank`'s probabilities use a temperature fitted on held-out data."""
        return bool(self.weights.selection.get("probability_temperature"))


def load_model(
    weights: str | Path | None = None,
    device: str | torch.device = "auto",
    *,
    random_init: bool = False,
    config: METSConfig | None = None,
    allow_download: bool = False,
    seed: int = 0,
    load_reference: bool = True,
) -> LoadedModel:
    """Load METS weights (default: the shipped ``weights/mets_resnet18``) onto a device.

    Args:
        weights: weights stem or file path; None = the shipped default.
        device: "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N".
        random_init: build an untrained model instead (every output then says "random-init").
        config: config for a random-init model (default `METSConfig()`).
        allow_download: let transformers fetch a hub LM not in the local cache (explicit only).
        seed: torch seed for a random-init model.
        load_reference: read the reference bank the sidecar names (verified by its SHA-256);
            False only to rebuild it (`mets bank`).

    Raises:
        WeightsError: missing or tampered weights or reference bank, or a config this code
            cannot build.
    """
    target = resolve_device(device)
    reference = None
    if random_init:
        config = config or METSConfig()
        torch.manual_seed(seed)
        module = build_model(config, FrozenTextEncoder(config.text, allow_download=allow_download))
        info = WeightsInfo("random-init (untrained)", None, False, {"trained": False})
    else:
        config, state, info = read_weights(weights if weights is not None else DEFAULT_WEIGHTS)
        text_encoder = FrozenTextEncoder(config.text, allow_download=allow_download)
        with torch.device("meta"):  # no random init of the towers the weights replace (~0.2 s)
            module = build_model(config, text_encoder)
        module.load_trainable_state_dict(state, assign=True)
        bank = info.reference_bank
        if load_reference and bank:
            path = bank_path(info.path or "", bank["file"])
            reference = read_reference_bank(path, bank["sha256"], config.embedding_dim)
    module.to(target).prepare_for_inference()  # eval mode, batch norm folded (model.mets)
    return LoadedModel(module, config, target, info, reference=reference)


@torch.inference_mode()
def encode_ecg(model: LoadedModel, windows: npt.NDArray[np.float32]) -> torch.Tensor:
    """(N, L, T) preprocessed windows of one recording -> (D,) unit-norm embedding (window mean)."""
    x = torch.from_numpy(np.ascontiguousarray(windows)).to(model.device)
    emb = model.module.encode_ecg(x).mean(dim=0)
    return F.normalize(emb, dim=-1)


@torch.inference_mode()
def encode_text(model: LoadedModel, texts: list[str]) -> torch.Tensor:
    """N texts -> (N, D) unit-norm embeddings; LM features come from the model's text cache."""
    features = model.text_cache.features(model.module.text_encoder, texts).to(model.device)
    return model.module.project_text(features)
