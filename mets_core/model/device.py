"""Device choice. Nothing here runs at import time; callers pass the result down."""

from __future__ import annotations

import contextlib

import torch

from mets_core.errors import METSError


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """Turn "auto" | "cpu" | "cuda" | "cuda:N" into a torch.device.

    "auto" picks CUDA when available, else CPU. Asking for CUDA on a machine without it raises.

    Raises:
        METSError: for an unknown spec or an unavailable CUDA device.
    """
    if isinstance(spec, torch.device):
        return spec
    spec = spec.strip().lower()
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise METSError(f"Device {spec!r} was requested but no CUDA GPU is available; use cpu.")
        return torch.device(spec)
    raise METSError(f"Unknown device {spec!r}; expected auto, cpu, cuda or cuda:N.")


def describe_device(device: torch.device) -> str:
    """Human-readable device name, e.g. "CPU" or "GPU: NVIDIA H100 (cuda:0)"."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"GPU: {torch.cuda.get_device_name(index)} (cuda:{index})"
    return "CPU"


def autocast_context(device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA for training; a no-op on CPU (nanoGPT's nullcontext pattern)."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
