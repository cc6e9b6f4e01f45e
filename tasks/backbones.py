"""Feature-domain backbone: mmdet's ResNet stages on top of a stem that takes decoded features F̂t instead of RGB."""

from __future__ import annotations

from mmcv.cnn import build_conv_layer, build_norm_layer
from mmdet.models.backbones import ResNet
from mmdet.registry import MODELS
from torch import nn


@MODELS.register_module()
class FeatureBackbone(ResNet):
    """A ResNet whose stem is an adapter for decoded features.

    Input: F̂t as ``(N, C, H, W)`` at the frame's resolution (``in_channels`` = C, 64 for the shipped codec).
    The stem (3x3 conv stride 2 + norm + ReLU, then 3x3 max-pool stride 2) brings it to H/4 with
    ``stem_channels`` channels; mmdet's ResNet stages follow unchanged, so outputs have strides 4, 8, 16, 32 for
    ``out_indices`` 0..3 (sizes ``ceil(H / stride)``) and every neck and head that works on ResNet works here.
    Every other argument (``depth``, ``base_channels``, ``num_stages``, ``out_indices``, ``norm_cfg``, ...) is
    mmdet's ``ResNet``'s.
    """

    def __init__(self, in_channels: int = 64, **kwargs):
        if kwargs.get("deep_stem"):
            raise ValueError("FeatureBackbone has its own stem; deep_stem is not supported")
        super().__init__(in_channels=in_channels, **kwargs)

    def _make_stem_layer(self, in_channels: int, stem_channels: int) -> None:
        self.conv1 = build_conv_layer(
            self.conv_cfg, in_channels, stem_channels, kernel_size=3, stride=2, padding=1, bias=False
        )
        self.norm1_name, norm1 = build_norm_layer(self.norm_cfg, stem_channels, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
