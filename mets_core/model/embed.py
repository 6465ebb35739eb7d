"""Batched ECG embeddings of many preprocessed windows (training validation and evaluation)."""

from __future__ import annotations

import numpy as np
import torch

from mets_core.model.mets import METSModel


@torch.no_grad()
def embed_signals(
    model: METSModel, signals: np.ndarray, device: torch.device, batch_size: int = 256
) -> torch.Tensor:
    """(N, L, T) -> (N, D) unit-norm ECG embeddings, in eval mode (restores the previous mode)."""
    was_training = model.training
    model.eval()
    chunks = [
        model.encode_ecg(torch.from_numpy(signals[i : i + batch_size]).to(device))
        for i in range(0, len(signals), batch_size)
    ]
    model.train(was_training)
    return torch.cat(chunks)
