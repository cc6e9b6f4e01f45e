# The synthetic dataset read as decoded features F̂t from a feature cache instead of frames: the pixel pipelines
# with their first step (LoadImageFromFile) replaced by LoadDecodedFeature.
_base_ = './synthetic.py'

train_pipeline = [_base_.load_features, *_base_.train_pipeline[1:]]
test_pipeline = [_base_.load_features, *_base_.test_pipeline[1:]]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
