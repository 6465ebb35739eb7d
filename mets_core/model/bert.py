"""The frozen BERT language model on `torch.nn`, loaded without importing transformers.

Why: importing transformers' BERT module pulls in torch's distributed-tensor and dynamo stacks
(sympy, scipy.optimize): about 2 s of every process start on a 2-core CPU, for a frozen encoder
that is six standard post-norm transformer layers. `torch.nn.TransformerEncoderLayer` (norm
after the residual, exact GELU) is that layer, so here BERT is torch's own encoder plus BERT's
embeddings; the weights are read with safetensors and the text is tokenised by the `tokenizers`
library from the model's own `tokenizer.json`, exactly as transformers' fast tokenizer does.

Only folders this module can serve exactly are served (`bert_folder_problem` says why not);
every other model (Bio_ClinicalBERT without a tokenizer.json, other architectures) goes through
transformers in `text_encoder.py`. tests/test_bert.py checks ids and hidden states against
transformers on the default model and a tiny one.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer
from torch import nn

WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.json"
_IGNORED_PREFIXES = ("pooler.", "cls.", "embeddings.position_ids")  # unused heads and buffers


def bert_folder_problem(folder: str | Path) -> str | None:
    """Why `folder` cannot be served by `BertEncoder`, or None when it can (exactly).

    Served: a local folder with config.json (model_type "bert", absolute positions, exact GELU,
    an encoder only), tokenizer.json and model.safetensors.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return "not a local folder"
    missing = [
        name
        for name in (CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE)
        if not (folder / name).is_file()
    ]
    if missing:
        return f"no {', '.join(missing)}"
    try:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{CONFIG_FILE} cannot be read"
    expected = {
        "model_type": "bert",
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
        "is_decoder": False,
        "add_cross_attention": False,
    }
    for key, value in expected.items():
        if config.get(key, value) != value:
            return f"{key} is {config.get(key)!r}, not {value!r}"
    return None


class BertEncoder(nn.Module):
    """BERT's embeddings and post-norm encoder layers from torch.nn.

    forward: token ids (N, T), attention mask (N, T; 1 = token, 0 = padding) and token type ids
    (N, T) -> last hidden states (N, T, hidden_size), as transformers' `BertModel` gives.
    """

    def __init__(self, config: dict):
        super().__init__()
        hidden = int(config["hidden_size"])
        eps = float(config.get("layer_norm_eps", 1e-12))
        self.hidden_size = hidden
        # Tables made empty, not randomly initialised: the checkpoint fills them, and a random
        # normal_ on the meta device would import torch's compiler stack (~1.7 s).
        self.word_embeddings = nn.Embedding.from_pretrained(
            torch.empty(config["vocab_size"], hidden), padding_idx=config.get("pad_token_id", 0)
        )
        self.position_embeddings = nn.Embedding.from_pretrained(
            torch.empty(config["max_position_embeddings"], hidden)
        )
        self.token_type_embeddings = nn.Embedding.from_pretrained(
            torch.empty(config.get("type_vocab_size", 2), hidden)
        )
        self.embedding_norm = nn.LayerNorm(hidden, eps=eps)
        layer = nn.TransformerEncoderLayer(
            d_model=hidden,
            nhead=int(config["num_attention_heads"]),
            dim_feedforward=int(config["intermediate_size"]),
            dropout=0.0,  # frozen: BERT in eval mode has no dropout
            activation="gelu",  # exact (erf) GELU, as BERT's "gelu"
            layer_norm_eps=eps,
            batch_first=True,
            norm_first=False,
        )
        self.layers = nn.TransformerEncoder(
            layer, num_layers=int(config["num_hidden_layers"]), enable_nested_tensor=False
        )

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        """(N, T) ids, mask and types -> (N, T, hidden_size) hidden states."""
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        embedded = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(positions)[None]
        )
        return self.layers(self.embedding_norm(embedded), src_key_padding_mask=attention_mask == 0)


def _torch_state_dict(
    hf_state: dict[str, torch.Tensor], num_layers: int
) -> dict[str, torch.Tensor]:
    """Rename a Hugging Face BERT checkpoint's tensors to `BertEncoder`'s; q, k, v are stacked."""
    state = {
        key.removeprefix("bert."): tensor
        for key, tensor in hf_state.items()
        if not key.removeprefix("bert.").startswith(_IGNORED_PREFIXES)
    }
    renamed = {
        "word_embeddings.weight": state.pop("embeddings.word_embeddings.weight"),
        "position_embeddings.weight": state.pop("embeddings.position_embeddings.weight"),
        "token_type_embeddings.weight": state.pop("embeddings.token_type_embeddings.weight"),
        "embedding_norm.weight": state.pop("embeddings.LayerNorm.weight"),
        "embedding_norm.bias": state.pop("embeddings.LayerNorm.bias"),
    }
    for index in range(num_layers):
        hf, ours = f"encoder.layer.{index}.", f"layers.layers.{index}."
        for part in ("weight", "bias"):
            renamed[f"{ours}self_attn.in_proj_{part}"] = torch.cat(
                [
                    state.pop(f"{hf}attention.self.{name}.{part}")
                    for name in ("query", "key", "value")
                ]
            )
            renamed[f"{ours}self_attn.out_proj.{part}"] = state.pop(
                f"{hf}attention.output.dense.{part}"
            )
            renamed[f"{ours}norm1.{part}"] = state.pop(f"{hf}attention.output.LayerNorm.{part}")
            renamed[f"{ours}linear1.{part}"] = state.pop(f"{hf}intermediate.dense.{part}")
            renamed[f"{ours}linear2.{part}"] = state.pop(f"{hf}output.dense.{part}")
            renamed[f"{ours}norm2.{part}"] = state.pop(f"{hf}output.LayerNorm.{part}")
    if state:
        raise KeyError(f"tensors BertEncoder does not know: {sorted(state)[:5]}")
    return renamed


def load_bert_encoder(folder: str | Path) -> BertEncoder:
    """The folder's BERT (see `bert_folder_problem`) as a `BertEncoder` in eval mode, on the CPU.

    Raises:
        KeyError: the weights file does not hold exactly a BERT encoder's tensors.
    """
    folder = Path(folder)
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    with torch.device("meta"):  # no random init of tensors the checkpoint replaces
        encoder = BertEncoder(config)
    state = _torch_state_dict(load_file(folder / WEIGHTS_FILE), int(config["num_hidden_layers"]))
    encoder.load_state_dict(state, strict=True, assign=True)
    return encoder.eval()


class BertTokenizer:
    """The folder's tokenizer.json through the `tokenizers` library (thread-safe, no transformers).

    `batch` pads to the longest text and truncates to `max_tokens`, as transformers'
    `tokenizer(texts, padding=True, truncation=True, max_length=max_tokens)` does.
    """

    def __init__(self, folder: str | Path, max_tokens: int):
        path = str(Path(folder) / TOKENIZER_FILE)
        self._counting = Tokenizer.from_file(path)
        self._counting.no_padding()
        self._counting.no_truncation()
        self._batching = Tokenizer.from_file(path)
        pad_token = self._pad_token(Path(folder))
        pad_id = self._batching.token_to_id(pad_token)
        if pad_id is None:
            raise KeyError(f"the padding token {pad_token!r} is not in the vocabulary")
        self._batching.enable_padding(pad_id=pad_id, pad_token=pad_token)
        self._batching.enable_truncation(max_length=max_tokens)

    @staticmethod
    def _pad_token(folder: Path) -> str:
        for name in ("special_tokens_map.json", "tokenizer_config.json"):
            path = folder / name
            if path.is_file():
                token = json.loads(path.read_text(encoding="utf-8")).get("pad_token")
                if isinstance(token, dict):
                    token = token.get("content")
                if token:
                    return str(token)
        return "[PAD]"

    def count(self, text: str) -> int:
        """Tokens `text` becomes, special tokens included, before truncation."""
        return len(self._counting.encode(text).ids)

    def batch(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """N texts -> input_ids, attention_mask and token_type_ids, each (N, T) int64."""
        encodings = self._batching.encode_batch(list(texts))
        return {
            "input_ids": torch.tensor([e.ids for e in encodings], dtype=torch.long),
            "attention_mask": torch.tensor([e.attention_mask for e in encodings], dtype=torch.long),
            "token_type_ids": torch.tensor([e.type_ids for e in encodings], dtype=torch.long),
        }
