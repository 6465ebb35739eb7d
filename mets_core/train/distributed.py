"""One process, or torchrun's processes: rank, world size, device and the DDP wrapper."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist

from mets_core.model.device import resolve_device


@dataclass
class DistributedContext:
    """rank / world size / device of this process; `wrap` applies DDP when world_size > 1."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        if self.world_size == 1:
            return module
        ids = [self.device.index] if self.device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)

    def close(self) -> None:
        if self.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()


def setup_distributed(device_spec: str) -> DistributedContext:
    """One process, or torchrun's env (RANK, WORLD_SIZE, LOCAL_RANK): nccl on GPU, gloo on CPU."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return DistributedContext(device=resolve_device(device_spec))
    device = resolve_device(device_spec)
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DistributedContext(dist.get_rank(), world_size, device)
