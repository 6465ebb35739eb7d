"""METSModel: trainable ECG tower, frozen LM, linear heads to a shared space, learned scale."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mets_core.config import METSConfig
from mets_core.model.ecg_encoder import ResNet1d
from mets_core.model.text_encoder import FrozenTextEncoder

MAX_LOGIT_SCALE = 100.0  # CLIP's clamp: temperature never below 0.01

FROZEN_PREFIX = "text_encoder."  # these weights are referenced by id, never saved with ours


class METSModel(nn.Module):
    """ECG (B, L, T) and text (list[str]) -> normalised embeddings (B, proj_dim)."""

    def __init__(self, config: METSConfig, text_encoder: FrozenTextEncoder):
        super().__init__()
        self.config = config
        self.ecg_encoder = ResNet1d(config.ecg)
        self.ecg_projection = nn.Linear(self.ecg_encoder.out_dim, config.proj_dim)
        self.text_encoder = text_encoder
        self.text_projection = nn.Linear(text_encoder.hidden_size, config.proj_dim)
        self.text_projection.requires_grad_(config.train_text_head)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(config.logit_scale_init)))

    def train(self, mode: bool = True) -> METSModel:
        """Switch the trainable towers; the frozen LM stays in eval (see FrozenTextEncoder)."""
        super().train(mode)
        self.text_encoder.train(False)
        return self

    def encode_ecg(self, ecg: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """(B, L, T) in preprocessed mV -> (B, proj_dim)."""
        emb = self.ecg_projection(self.ecg_encoder(ecg))
        return F.normalize(emb, dim=-1) if normalize else emb

    def project_text(self, features: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """(N, hidden_size) frozen-LM features -> (N, proj_dim). Training caches the features."""
        emb = self.text_projection(features)
        return F.normalize(emb, dim=-1) if normalize else emb

    def encode_text(self, texts: list[str], normalize: bool = True) -> torch.Tensor:
        """N strings -> (N, proj_dim)."""
        return self.project_text(self.text_encoder(texts), normalize)

    def scale(self) -> torch.Tensor:
        """exp(learned log-scale), clamped: 1 / temperature."""
        return self.logit_scale.exp().clamp(max=MAX_LOGIT_SCALE)

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """Everything but the frozen LM: what the weights file holds."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith(FROZEN_PREFIX)}

    def load_trainable_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Strict load of `trainable_state_dict()` output (the LM keys come from the LM itself)."""
        full = {k: v for k, v in self.state_dict().items() if k.startswith(FROZEN_PREFIX)}
        full.update(state)
        self.load_state_dict(full, strict=True)
