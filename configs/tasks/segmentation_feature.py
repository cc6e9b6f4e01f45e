# Mask R-CNN R50-FPN on decoded features F̂t (FeatureBackbone); boxes and masks stay in frame coordinates.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50_fpn.py', './_base_/synthetic_feature.py', './_base_/schedule.py']

feature_channels = 64  # C of the codec's F̂t
num_classes = len(_base_.metainfo['classes'])
model = dict(
    data_preprocessor=dict(mean=None, std=None, bgr_to_rgb=False),
    backbone=dict(_delete_=True, type='FeatureBackbone', in_channels=feature_channels, depth=50,
                  out_indices=(0, 1, 2, 3), norm_cfg=dict(type='BN', requires_grad=True), style='pytorch'),
    roi_head=dict(bbox_head=dict(num_classes=num_classes), mask_head=dict(num_classes=num_classes)))

train_pipeline = [
    _base_.load_features,
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    _base_.resize,
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    _base_.load_features,
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    _base_.resize,
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(metric=['bbox', 'segm'])
test_evaluator = val_evaluator
