"""The detection toolchain works on CPU: a small mmdet Faster R-CNN built from mmdet's own config runs a loss step
and a prediction, through mmcv's compiled RoIAlign and NMS (not a Python or torchvision fallback)."""

from __future__ import annotations

import importlib
from collections import Counter
from pathlib import Path

import mmcv
import mmcv.ops as mmcv_ops  # fails outright (no skip) when mmcv was installed without its compiled ops
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.structures import InstanceData
from mmengine.utils import get_installed_path

# `mmcv.ops.roi_align` / `mmcv.ops.nms` are shadowed by the functions of the same name: take the modules.
ROI_ALIGN_MODULE = importlib.import_module("mmcv.ops.roi_align")
NMS_MODULE = importlib.import_module("mmcv.ops.nms")
FASTER_RCNN = Path(get_installed_path("mmdet")) / ".mim/configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"


class ExtSpy:
    """Stands in for the compiled `mmcv._ext` module inside one mmcv op module and counts calls by name."""

    def __init__(self, ext):
        self.ext = ext
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name):
        fn = getattr(self.ext, name)

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return fn(*args, **kwargs)

        return counted


def small_faster_rcnn_config() -> Config:
    cfg = Config.fromfile(str(FASTER_RCNN))
    cfg.merge_from_dict({
        "model.backbone": dict(depth=18, base_channels=8, frozen_stages=-1, norm_eval=False, init_cfg=None),
        "model.neck.in_channels": [8, 16, 32, 64],
        "model.neck.out_channels": 16,
        "model.rpn_head.in_channels": 16,
        "model.rpn_head.feat_channels": 16,
        "model.roi_head.bbox_roi_extractor.out_channels": 16,
        "model.roi_head.bbox_head": dict(in_channels=16, fc_out_channels=32, num_classes=3),
        "model.train_cfg.rpn.sampler.num": 64,
        "model.train_cfg.rcnn.sampler.num": 64,
        "model.test_cfg.rpn": dict(nms_pre=200, max_per_img=50),
    })
    return cfg


def batch(sizes=((96, 128), (80, 112))) -> dict:
    torch.manual_seed(0)
    inputs, samples = [], []
    for h, w in sizes:
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8))
        sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[10.0, 12.0, 50.0, 60.0], [40.0, 30.0, 90.0, 70.0]]), labels=torch.tensor([0, 2])
        )
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_mmcv_ops_are_compiled():
    assert Path(mmcv._ext.__file__).suffix == ".so"
    assert ROI_ALIGN_MODULE.ext_module is mmcv._ext
    assert NMS_MODULE.ext_module is mmcv._ext
    assert hasattr(mmcv._ext, "roi_align_forward") and hasattr(mmcv._ext, "nms")


def test_faster_rcnn_loss_and_predict_use_compiled_roi_align_and_nms(monkeypatch):
    register_all_modules()
    roi_spy, nms_spy = ExtSpy(mmcv._ext), ExtSpy(mmcv._ext)
    monkeypatch.setattr(ROI_ALIGN_MODULE, "ext_module", roi_spy)
    monkeypatch.setattr(NMS_MODULE, "ext_module", nms_spy)
    torch.manual_seed(0)
    model = MODELS.build(small_faster_rcnn_config().model)
    assert isinstance(model.roi_head.bbox_roi_extractor.roi_layers[0], mmcv_ops.RoIAlign)
    assert not model.roi_head.bbox_roi_extractor.roi_layers[0].use_torchvision

    model.train()
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode="loss")
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    assert roi_spy.calls["roi_align_forward"] >= 1 and roi_spy.calls["roi_align_backward"] >= 1
    assert nms_spy.calls["nms"] >= 1  # RPN proposals
    assert model.backbone.conv1.weight.grad is not None

    roi_spy.calls.clear()
    nms_spy.calls.clear()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch(), training=False)
        results = model(**data, mode="predict")
    assert len(results) == 2
    for result, (h, w) in zip(results, ((96, 128), (80, 112))):
        boxes = result.pred_instances.bboxes
        assert boxes.shape[1] == 4 and len(boxes) == len(result.pred_instances.scores) <= 100
        if len(boxes):
            assert boxes[:, 2].max() <= w and boxes[:, 3].max() <= h
    assert roi_spy.calls["roi_align_forward"] >= 1
    assert nms_spy.calls["nms"] >= 2  # RPN and per-class R-CNN NMS
