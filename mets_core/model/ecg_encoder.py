"""ResNet1d-18 ECG tower (METS section 3.1): a pure nn.Module whose sizes all come from config."""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from mets_core.config import ECGEncoderConfig


class BasicBlock1d(nn.Module):
    """Two 1-D convolutions with batch norm and an identity (or 1x1-projected) shortcut."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int):
        super().__init__()
        padding = kernel_size // 2
        self.conv1 = nn.Conv1d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn1 = nn.BatchNorm1d(out_channels)
        self.conv2 = nn.Conv1d(out_channels, out_channels, kernel_size, 1, padding, bias=False)
        self.bn2 = nn.BatchNorm1d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv1d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm1d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class ResNet1d(nn.Module):
    """ResNet1d-18: stem, four stages of BasicBlock1d, global average pooling.

    Input (B, L, T) with L = config.n_leads and any T long enough for the strides (adaptive
    pooling, no length literal); output (B, config.stage_widths[-1]).
    """

    def __init__(self, config: ECGEncoderConfig):
        super().__init__()
        first = config.stage_widths[0]
        self.stem = nn.Sequential(
            nn.Conv1d(
                config.n_leads,
                first,
                config.stem_kernel_size,
                2,
                config.stem_kernel_size // 2,
                bias=False,
            ),
            nn.BatchNorm1d(first),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(3, 2, 1),
        )
        stages, in_channels = [], first
        for index, (width, n_blocks) in enumerate(
            zip(config.stage_widths, config.blocks_per_stage, strict=True)
        ):
            blocks = []
            for block_index in range(n_blocks):
                stride = 2 if index > 0 and block_index == 0 else 1
                blocks.append(BasicBlock1d(in_channels, width, config.block_kernel_size, stride))
                in_channels = width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.out_dim = in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, T) -> (B, out_dim)."""
        return self.pool(self.stages(self.stem(x))).flatten(1)


def fold_batch_norm(tower: ResNet1d) -> ResNet1d:
    """An inference-only copy of `tower` with every BatchNorm folded into the convolution before
    it (torch's `fuse_conv_bn_eval`): in eval mode the same function up to float rounding (~1e-6
    on unit-norm embeddings), without the 20 batch-norm passes of each forward.

    Measured (`benchmarks/bench_rank.py`, one thread, batch 1, rows interleaved): ensemble
    forwards 3-10 % faster (README, Speed). The copy has no batch norm left, so it cannot be
    trained or saved; `METSModel.prepare_for_inference` keeps it beside the trained tower.
    """
    folded = copy.deepcopy(tower).eval()
    folded.stem[0] = fuse_conv_bn_eval(folded.stem[0], folded.stem[1])
    folded.stem[1] = nn.Identity()
    for block in folded.modules():
        if isinstance(block, BasicBlock1d):
            block.conv1, block.bn1 = fuse_conv_bn_eval(block.conv1, block.bn1), nn.Identity()
            block.conv2, block.bn2 = fuse_conv_bn_eval(block.conv2, block.bn2), nn.Identity()
            if isinstance(block.shortcut, nn.Sequential):
                block.shortcut = fuse_conv_bn_eval(*block.shortcut)
    return folded.requires_grad_(False)
