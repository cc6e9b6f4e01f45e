# The synthetic dataset read as decoded features F̂t from a feature cache instead of frames.
_base_ = './synthetic.py'

train_pipeline = [
    _base_.load_features,
    dict(type='LoadAnnotations', with_bbox=True),
    _base_.resize,
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    _base_.load_features,
    dict(type='LoadAnnotations', with_bbox=True),
    _base_.resize,
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
