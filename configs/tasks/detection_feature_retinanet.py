# A new head is a new config: RetinaNet on decoded features, same FeatureBackbone and data, no code change.
_base_ = ['mmdet::_base_/models/retinanet_r50_fpn.py', './_base_/synthetic_feature.py', './_base_/schedule.py']

feature_channels = 64
model = dict(
    data_preprocessor=dict(mean=None, std=None, bgr_to_rgb=False),
    backbone=dict(_delete_=True, type='FeatureBackbone', in_channels=feature_channels, depth=50,
                  out_indices=(0, 1, 2, 3), norm_cfg=dict(type='BN', requires_grad=True), style='pytorch'),
    bbox_head=dict(num_classes=len(_base_.metainfo['classes'])))
