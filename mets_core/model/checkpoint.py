"""Weights on disk: `<name>.safetensors` (ECG tower, heads, logit scale) + `<name>.json` sidecar.

The sidecar holds the full config (architecture, preprocessing, text model id and revision),
provenance, the SHA-256 of the tensor file, and the fold-9 `selection` that `mets select` made
for serving (the zero-shot template in `config.zero_shot_template`, the temperature that turns
cosines into calibrated probabilities, and what was compared). Loading verifies the checksum and
the config; no pickle anywhere.

Optional blocks written by `mets bank`: ``reference_bank`` (file name beside the weights, its
SHA-256, record count and folds; see `model.reference_bank`) and ``abstain`` (the thresholds of
`zeroshot.abstain`, chosen on fold 9, and how). Weights without them load as before.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from mets_core.config import SCHEMA_VERSION, METSConfig, from_dict, to_dict
from mets_core.errors import WeightsError

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "mets_resnet18"


@dataclass(frozen=True)
class WeightsInfo:
    """What the app and CLI say about the weights in use."""

    name: str
    sha256: str | None  # None for a random-init model
    trained: bool
    provenance: dict = field(default_factory=dict)
    path: str | None = None
    selection: dict = field(default_factory=dict)  # fold-9 serving choices (`mets select`)
    reference_bank: dict = field(default_factory=dict)  # {"file", "sha256", "n", "folds", ...}
    abstain: dict = field(default_factory=dict)  # abstain thresholds chosen on fold 9 (`mets bank`)


def weights_paths(stem: str | Path) -> tuple[Path, Path]:
    """`weights/x` (or `weights/x.safetensors`, `weights/x.json`) -> (tensor file, sidecar)."""
    stem = Path(stem)
    if stem.suffix in (".safetensors", ".json"):
        stem = stem.with_suffix("")
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_weights(
    stem: str | Path,
    state: dict[str, torch.Tensor],
    config: METSConfig,
    provenance: dict,
    selection: dict | None = None,
) -> WeightsInfo:
    """Write the tensor file and its sidecar; return what was written.

    Args:
        stem: output path without suffix, e.g. ``weights/mets_resnet18``.
        state: `METSModel.trainable_state_dict()`.
        config: the model's config (saved in full, preprocessing included).
        provenance: training data, split, command, seed, machine, metrics; ``trained`` bool.
        selection: fold-9 serving choices (see `write_selection`); empty until chosen.
    """
    tensor_path, sidecar_path = weights_paths(stem)
    tensor_path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(tensor_path))
    sha = sha256_file(tensor_path)
    sidecar = {
        "schema_version": SCHEMA_VERSION,
        "config": to_dict(config),
        "provenance": provenance,
        "selection": selection or {},
        "sha256": sha,
        "tensor_file": tensor_path.name,
    }
    sidecar_path.write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    return WeightsInfo(
        tensor_path.stem,
        sha,
        bool(provenance.get("trained")),
        provenance,
        str(tensor_path),
        selection or {},
    )


def write_selection(stem: str | Path, zero_shot_template: str, selection: dict) -> None:
    """Record fold-9 serving choices in an existing sidecar (the tensor file is not touched).

    Args:
        stem: weights stem.
        zero_shot_template: the template `rank` will use by default (config.zero_shot_template).
        selection: what was chosen and from what, e.g. {"zero_shot_template", "criterion",
            "split": "val", "probability_temperature", "fold9": {...}, "command", "date_utc"}.
    """
    _, sidecar_path = weights_paths(stem)
    config, _, _ = read_weights(stem)  # verifies the checksum and the config first
    sidecar = _upgrade(json.loads(sidecar_path.read_text()))
    sidecar["config"] = to_dict(replace(config, zero_shot_template=zero_shot_template))
    sidecar["selection"] = selection
    sidecar_path.write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")


def write_reference_bank(stem: str | Path, reference_bank: dict, abstain: dict) -> None:
    """Record a reference bank and the abstain thresholds in an existing sidecar (`mets bank`).

    The tensor file and the config are not touched; the schema stays the same.

    Args:
        stem: weights stem.
        reference_bank: {"file": name beside the weights, "sha256", "n", "folds", ...}.
        abstain: the thresholds of `zeroshot.abstain` and how they were chosen.
    """
    _, sidecar_path = weights_paths(stem)
    read_weights(stem)  # verifies the checksum and the config first
    sidecar = _upgrade(json.loads(sidecar_path.read_text()))
    sidecar["reference_bank"] = reference_bank
    sidecar["abstain"] = abstain
    sidecar_path.write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")


def _upgrade(sidecar: dict) -> dict:
    """Read older sidecars: schema 1 had a `missing_leads` field that was always "zero";
    schemas 1-2 had no `ensemble_size` (always one trained run)."""
    if sidecar.get("schema_version") == 1:
        sidecar = json.loads(json.dumps(sidecar))  # deep copy
        if sidecar["config"]["preprocess"].pop("missing_leads", "zero") != "zero":
            raise WeightsError("These weights use a missing-lead policy this METS cannot apply.")
        sidecar["schema_version"] = 2
    if sidecar.get("schema_version") == 2:
        sidecar = json.loads(json.dumps(sidecar))  # deep copy
        sidecar["config"].setdefault("ensemble_size", 1)
        sidecar["schema_version"] = SCHEMA_VERSION
    sidecar.setdefault("selection", {})
    sidecar.setdefault("reference_bank", {})
    sidecar.setdefault("abstain", {})
    return sidecar


def read_weights(stem: str | Path) -> tuple[METSConfig, dict[str, torch.Tensor], WeightsInfo]:
    """Read, verify and return (config, state dict on CPU, info).

    Raises:
        WeightsError: missing files, checksum mismatch (tampered or truncated file), an unknown
            schema version, or a config that does not match this code.
    """
    tensor_path, sidecar_path = weights_paths(stem)
    for path in (tensor_path, sidecar_path):
        if not path.is_file():
            raise WeightsError(
                f"Weights file {path} is missing; expected {tensor_path.name} "
                f"with its sidecar {sidecar_path.name}."
            )
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except json.JSONDecodeError as error:
        raise WeightsError(f"The weights sidecar {sidecar_path.name} is not valid JSON.") from error
    sidecar = _upgrade(sidecar)
    if sidecar.get("schema_version") != SCHEMA_VERSION:
        raise WeightsError(
            f"Weights schema {sidecar.get('schema_version')} is not supported; "
            f"this version of METS reads schema {SCHEMA_VERSION}."
        )
    actual = sha256_file(tensor_path)
    if actual != sidecar.get("sha256"):
        raise WeightsError(
            f"The weights file {tensor_path.name} does not match its recorded "
            f"checksum (expected {sidecar.get('sha256')}, found {actual}); it may "
            "be corrupted or modified. Restore the original file."
        )
    config = from_dict(METSConfig, sidecar["config"])
    state = load_file(str(tensor_path), device="cpu")
    info = WeightsInfo(
        tensor_path.stem,
        actual,
        bool(sidecar["provenance"].get("trained")),
        sidecar["provenance"],
        str(tensor_path),
        sidecar["selection"],
        sidecar["reference_bank"],
        sidecar["abstain"],
    )
    return config, state, info
