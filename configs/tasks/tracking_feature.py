# ByteTrack on decoded features: tracking_pixel.py with the detector on F̂t (FeatureBackbone, no normalisation)
# and every pipeline reading the feature cache instead of frames.
_base_ = ['./tracking_pixel.py']

feature_channels = 64  # C of the codec's F̂t
model = dict(
    data_preprocessor=dict(mean=None, std=None, bgr_to_rgb=False),
    detector=dict(
        backbone=dict(_delete_=True, type='FeatureBackbone', in_channels=feature_channels, depth=50,
                      out_indices=(0, 1, 2, 3), norm_cfg=dict(type='BN', requires_grad=True), style='pytorch')))

train_pipeline = [_base_.load_features, *_base_.train_pipeline[1:]]
track_test_pipeline = [
    dict(type='TransformBroadcaster',
         transforms=[_base_.load_features, _base_.resize, dict(type='LoadTrackAnnotations')]),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=track_test_pipeline))
test_dataloader = val_dataloader
