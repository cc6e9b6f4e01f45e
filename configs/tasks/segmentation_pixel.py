# Pixel-domain baseline: Mask R-CNN R50-FPN on frames, trained from scratch; box and mask mAP.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50_fpn.py', './_base_/synthetic.py', './_base_/schedule.py']

num_classes = len(_base_.metainfo['classes'])
model = dict(
    backbone=dict(frozen_stages=-1, norm_eval=False, init_cfg=None),
    roi_head=dict(bbox_head=dict(num_classes=num_classes), mask_head=dict(num_classes=num_classes)))

train_pipeline = [
    _base_.load_pixels,
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    _base_.resize,
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    _base_.load_pixels,
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    _base_.resize,
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(metric=['bbox', 'segm'])
test_evaluator = val_evaluator
