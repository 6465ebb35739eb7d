"""METSModel: trainable ECG tower, frozen LM, linear heads to a shared space, learned scale.

METSEnsemble: several trained METSModels (seeds or recipes) sharing one frozen LM, served as one
model; `build_model` makes whichever the config asks for.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from mets_core.config import METSConfig
from mets_core.model.ecg_encoder import ResNet1d, fold_batch_norm
from mets_core.model.text_encoder import FrozenTextEncoder

MAX_LOGIT_SCALE = 100.0  # CLIP's clamp: temperature never below 0.01

FROZEN_PREFIX = "text_encoder."  # these weights are referenced by id, never saved with ours


class METSModel(nn.Module):
    """ECG (B, L, T) and text (list[str]) -> normalised embeddings (B, proj_dim)."""

    def __init__(self, config: METSConfig, text_encoder: FrozenTextEncoder):
        super().__init__()
        # (folded tower,) after `prepare_for_inference`; a tuple, so not a submodule: it is in
        # no state dict, and `_apply` (`.to`, `.float`, ...) moves it alongside.
        self._inference_tower: tuple[ResNet1d, ...] = ()
        self.config = config
        self.ecg_encoder = ResNet1d(config.ecg)
        self.ecg_projection = nn.Linear(self.ecg_encoder.out_dim, config.proj_dim)
        self.text_encoder = text_encoder
        self.text_projection = nn.Linear(text_encoder.hidden_size, config.proj_dim)
        self.text_projection.requires_grad_(config.train_text_head)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(config.logit_scale_init)))

    def train(self, mode: bool = True) -> METSModel:
        """Switch the trainable towers; the frozen LM stays in eval (see FrozenTextEncoder).
        Training mode drops the folded inference tower (the weights are about to change)."""
        super().train(mode)
        self.text_encoder.train(False)
        if mode:
            self._inference_tower = ()
        return self

    def prepare_for_inference(self) -> METSModel:
        """Eval mode, and an ECG tower with batch norm folded into its convolutions
        (`ecg_encoder.fold_batch_norm`) that `encode_ecg` uses from now on: same embeddings up
        to float rounding, 3-10 % faster. `load_model` calls it; `train()` and loading new
        weights (`load_trainable_state_dict`) drop the folded copy again."""
        self.eval()
        self._inference_tower = (fold_batch_norm(self.ecg_encoder),)
        return self

    def _apply(self, fn, recurse: bool = True):  # nn.Module.to and friends: move the copy too
        super()._apply(fn, recurse)
        for tower in self._inference_tower:
            tower._apply(fn, recurse)
        return self

    def encode_ecg(self, ecg: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """(B, L, T) in preprocessed mV -> (B, proj_dim)."""
        folded = self._inference_tower and not self.training
        tower = self._inference_tower[0] if folded else self.ecg_encoder
        emb = self.ecg_projection(tower(ecg))
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

    def load_trainable_state_dict(
        self, state: dict[str, torch.Tensor], *, assign: bool = False
    ) -> None:
        """Strict load of `trainable_state_dict()` output: every key but the frozen LM's must be
        there and nothing else may be (the LM keeps its own weights; copying them onto themselves
        cost ~0.4 s per run of an ensemble at load).

        Args:
            assign: take the given tensors as the parameters instead of copying into them (for a
                module built on the meta device, `load_model`).
        """
        self._inference_tower = ()  # folded from the old weights
        missing, unexpected = self.load_state_dict(state, strict=False, assign=assign)
        missing = [k for k in missing if not k.startswith(FROZEN_PREFIX)]
        if missing or unexpected:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}: missing keys "
                f"{missing[:5]}, unexpected keys {unexpected[:5]}."
            )


class ConcatenatedTowers(nn.Module):
    """The ECG towers of an ensemble as one feature extractor: (B, L, T) -> (B, sum of out_dim)."""

    def __init__(self, towers: list[nn.Module]):
        super().__init__()
        self.towers = nn.ModuleList(towers)
        self.out_dim = sum(int(t.out_dim) for t in towers)

    def forward(self, ecg: torch.Tensor) -> torch.Tensor:
        return torch.cat([tower(ecg) for tower in self.towers], dim=-1)


class METSEnsemble(nn.Module):
    """`config.ensemble_size` trained METS runs sharing one frozen LM, served as one model.

    Each embedding is the members' unit-norm embeddings joined and divided by sqrt(M), so it has
    unit norm and the cosine between an ECG and a text is the mean of the members' cosines: the
    reference bank, the abstain check and the search index work on it unchanged. Members are never
    trained together; `mets ensemble` joins runs trained apart (`model.ensemble`).
    Embeddings: (B, M * proj_dim) = (B, config.embedding_dim).
    """

    def __init__(self, config: METSConfig, text_encoder: FrozenTextEncoder):
        super().__init__()
        self.config = config
        member_config = replace(config, ensemble_size=1)
        self.members = nn.ModuleList(
            METSModel(member_config, text_encoder) for _ in range(config.ensemble_size)
        )
        self._weight = 1.0 / math.sqrt(config.ensemble_size)

    @property
    def text_encoder(self) -> FrozenTextEncoder:
        return self.members[0].text_encoder

    @property
    def ecg_encoder(self) -> ConcatenatedTowers:
        """The members' ECG towers side by side (linear probes of the ensemble's features)."""
        return ConcatenatedTowers([m.ecg_encoder for m in self.members])

    def train(self, mode: bool = True) -> METSEnsemble:
        super().train(mode)
        for member in self.members:
            member.train(mode)
        return self

    def prepare_for_inference(self) -> METSEnsemble:
        """Every member's `METSModel.prepare_for_inference`."""
        for member in self.members:
            member.prepare_for_inference()
        return self.eval()

    def encode_ecg(self, ecg: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """(B, L, T) in preprocessed mV -> (B, M * proj_dim), unit norm (`normalize` is moot)."""
        return torch.cat([m.encode_ecg(ecg) for m in self.members], dim=-1) * self._weight

    def project_text(self, features: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """(N, hidden_size) frozen-LM features -> (N, M * proj_dim), unit norm."""
        return torch.cat([m.project_text(features) for m in self.members], dim=-1) * self._weight

    def encode_text(self, texts: list[str], normalize: bool = True) -> torch.Tensor:
        """N strings -> (N, M * proj_dim), unit norm."""
        return self.project_text(self.text_encoder(texts))

    def scale(self) -> torch.Tensor:
        """The members' learned scales, averaged (serving uses the fold-9 fitted temperature)."""
        return torch.stack([m.scale() for m in self.members]).mean()

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """Every member's `trainable_state_dict`, keys prefixed ``members.<i>.``."""
        return {
            f"members.{i}.{key}": value
            for i, member in enumerate(self.members)
            for key, value in member.trainable_state_dict().items()
        }

    def load_trainable_state_dict(
        self, state: dict[str, torch.Tensor], *, assign: bool = False
    ) -> None:
        """Strict load of `trainable_state_dict()` output, member by member."""
        for i, member in enumerate(self.members):
            prefix = f"members.{i}."
            member.load_trainable_state_dict(
                {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)},
                assign=assign,
            )
        known = {f"members.{i}." for i in range(len(self.members))}
        stray = [k for k in state if not any(k.startswith(p) for p in known)]
        if stray:
            raise RuntimeError(f"Unexpected keys in the ensemble weights: {stray[:5]}")


def build_model(config: METSConfig, text_encoder: FrozenTextEncoder) -> METSModel | METSEnsemble:
    """The module `config` describes: one trained run, or an ensemble of `config.ensemble_size`."""
    if config.ensemble_size == 1:
        return METSModel(config, text_encoder)
    return METSEnsemble(config, text_encoder)
