# Pixel-domain baseline: Faster R-CNN R50-FPN on the decoded (or original) frames, trained from scratch.
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', './_base_/synthetic.py', './_base_/schedule.py']

model = dict(
    backbone=dict(frozen_stages=-1, norm_eval=False, init_cfg=None),
    roi_head=dict(bbox_head=dict(num_classes=len(_base_.metainfo['classes']))))
