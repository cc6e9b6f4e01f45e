"""The machine-task loss of joint human–machine fine-tuning: a trained, frozen feature-domain detector scores F̂t,
and its training loss flows back into the codec (the detector itself is not updated)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from vnvc.errors import CheckpointError, ConfigError

from .config import load_task_config
from .heads import fit_to_model


def _detector(cfg, feature_channels: int) -> nn.Module:
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    register_all_modules()
    model_cfg = cfg.model.detector if "detector" in cfg.model else cfg.model
    model_cfg.backbone.in_channels = feature_channels
    return MODELS.build(model_cfg)


class TaskLoss(nn.Module):
    """forward(features (N, C, H, W), boxes [(k, 4) x1 y1 x2 y2], labels [(k,)]) -> the detector's summed losses.

    ``config`` is a feature-domain detection config (``configs/tasks/*/detection_feature.py``; a tracking config's
    detector works too), ``head`` the weights it was trained to (a machine_vision head file). The detector stays in
    eval mode (batch-norm statistics frozen) with every parameter frozen.
    """

    def __init__(self, config: str | Path, head: str | Path, feature_channels: int):
        super().__init__()
        try:
            cfg = load_task_config(config)
            detector = _detector(cfg, feature_channels)
        except Exception as exc:  # a config can fail to load or build in many ways
            raise ConfigError(f"joint stage: cannot build the detector of {config}: {exc}") from None
        if not Path(head).is_file():
            raise CheckpointError(f"joint stage: head checkpoint {head} does not exist")
        payload = torch.load(head, map_location="cpu", weights_only=True)
        try:
            detector.load_state_dict(fit_to_model(payload.get("state_dict", payload), detector))
        except RuntimeError as exc:
            raise CheckpointError(f"joint stage: {head} does not fit {config}: {str(exc)[:300]}") from None
        detector.requires_grad_(False)
        self.detector = detector.eval()

    def train(self, mode: bool = True) -> TaskLoss:
        return self  # the detector never leaves eval mode

    def forward(self, features: torch.Tensor, boxes: list[torch.Tensor], labels: list[torch.Tensor]) -> torch.Tensor:
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData

        height, width = features.shape[-2:]
        samples = []
        for b, l in zip(boxes, labels):
            sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                                 pad_shape=(height, width), batch_input_shape=(height, width),
                                                 scale_factor=(1.0, 1.0)))
            sample.gt_instances = InstanceData(bboxes=b.to(features.device), labels=l.to(features.device))
            samples.append(sample)
        losses = self.detector.loss(features, samples)
        total = features.new_zeros(())
        for name, value in losses.items():
            if "loss" in name:
                total = total + (sum(value) if isinstance(value, (list, tuple)) else value)
        return total
