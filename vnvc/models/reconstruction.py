"""Networks that consume the decoded feature F̂t: pixel reconstruction for people, enhancement for machines."""

from __future__ import annotations

import torch
from torch import nn

from ..layers import ResBlock, UNet, conv3x3


class FrameReconstruction(nn.Module):
    """F̂t -> pixels: a projection, two small U-Nets, then a 3x3 conv to RGB."""

    def __init__(self, feature_channels: int, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            conv3x3(feature_channels, channels), UNet(channels), UNet(channels), conv3x3(channels, 3)
        )

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        return self.body(feature)


class FeatureEnhancement(nn.Module):
    """Residual refinement of F̂t before it reaches the analysis networks; the reference stays F̂t."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(ResBlock(channels), ResBlock(channels), conv3x3(channels, channels))

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        return feature + self.body(feature)
