"""METS: zero-shot ECG reading with a frozen language model.

Public API (CLIP-sized)::

    import mets_core
    model = mets_core.load_model()                  # shipped weights, device "auto"
    record = mets_core.load_record("00001_lr.hea")  # or bytes / an upload + its name
    ranking = mets_core.rank(model, record, ["atrial fibrillation", "sinus rhythm"])
    for r in ranking:
        print(r.candidate, r.cosine, r.probability)  # best first
"""

from mets_core.config import (
    ECGEncoderConfig,
    METSConfig,
    PreprocessConfig,
    TextEncoderConfig,
)
from mets_core.errors import DataError, ECGInputError, LabelInputError, METSError, WeightsError
from mets_core.leads import STANDARD_12_LEADS
from mets_core.model.device import resolve_device
from mets_core.model.load import LoadedModel, encode_ecg, encode_text, load_model
from mets_core.record import ECGRecord
from mets_core.signal.clean import clean_ecg
from mets_core.signal.preprocess import preprocess_for_model
from mets_core.zeroshot.rank import (
    Ranking,
    build_label_embeddings,
    lead_importance,
    rank,
    score_labels,
)


def __getattr__(name: str) -> object:
    """`mets_core.load_record` on first use: the readers pull in pandas, pydicom, wfdb, scipy.io
    and more (~1 s), which loading the model for a ranking does not need."""
    if name == "load_record":
        from mets_core.io.load import load_record

        return load_record
    raise AttributeError(f"module 'mets_core' has no attribute {name!r}")


__all__ = [
    "STANDARD_12_LEADS",
    "DataError",
    "ECGEncoderConfig",
    "ECGInputError",
    "ECGRecord",
    "LabelInputError",
    "LoadedModel",
    "METSConfig",
    "METSError",
    "PreprocessConfig",
    "Ranking",
    "TextEncoderConfig",
    "WeightsError",
    "build_label_embeddings",
    "clean_ecg",
    "encode_ecg",
    "encode_text",
    "lead_importance",
    "load_model",
    "load_record",
    "preprocess_for_model",
    "rank",
    "resolve_device",
    "score_labels",
]
