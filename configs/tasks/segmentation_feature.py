# Mask R-CNN R50-FPN on decoded features F̂t: segmentation_pixel.py with FeatureBackbone (no normalisation) and every
# pipeline reading the feature cache instead of frames; boxes and masks stay in frame coordinates.
_base_ = ['./segmentation_pixel.py']

feature_channels = 64  # C of the codec's F̂t
model = dict(
    data_preprocessor=dict(mean=None, std=None, bgr_to_rgb=False),
    backbone=dict(_delete_=True, type='FeatureBackbone', in_channels=feature_channels, depth=50,
                  out_indices=(0, 1, 2, 3), norm_cfg=dict(type='BN', requires_grad=True), style='pytorch'))

train_pipeline = [_base_.load_features, *_base_.train_pipeline[1:]]
test_pipeline = [_base_.load_features, *_base_.test_pipeline[1:]]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
