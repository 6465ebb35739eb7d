"""Symmetric CLIP / InfoNCE loss (METS section 3.2), as in open_clip's loss.py.

Identical reports in a batch (PTB-XL has many "sinus rhythm. normal ECG." records): because the
frozen LM is deterministic, identical reports give identical columns of the logit matrix, and then
vanilla CLIP's loss equals the multi-positive loss (each duplicate a positive, targets spread
evenly) term by term: the gradients are the same, only the floor of the loss rises to
log(#duplicates). So no special target is needed; `tests/test_loss.py` checks the equivalence.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def clip_loss(
    ecg_emb: torch.Tensor, text_emb: torch.Tensor, logit_scale: torch.Tensor
) -> torch.Tensor:
    """Mean of ECG->text and text->ECG cross-entropy on scaled cosine similarities.

    Args:
        ecg_emb: (B, D) L2-normalised ECG embeddings.
        text_emb: (B, D) L2-normalised report embeddings; row i is ECG i's report.
        logit_scale: scalar, exp(learned log-scale) = 1 / temperature.

    Returns:
        Scalar loss.
    """
    logits = logit_scale * ecg_emb @ text_emb.t()  # (B, B)
    labels = torch.arange(logits.shape[0], device=logits.device)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
