# Labelled synthetic video (vnvc.data.generate_dataset, samples/synthetic/): COCO-VID json with video and instance
# ids in annotations/<split>.json, frames at <split>/<video>/img1/im00001.png under the root.
# Paths come from the environment so that scripts and tests can point the same configs at other copies:
#   VNVC_TASK_DATA      dataset root (ends with /)
#   VNVC_FEATURE_CACHE  one decoded-feature cache folder <cache_root>/<checkpoint>/rate<r> (tasks.feature_cache)
data_root = '{{$VNVC_TASK_DATA:samples/synthetic/}}'
feature_cache = '{{$VNVC_FEATURE_CACHE:work_dirs/feature_cache/default/rate2}}'
img_prefix = ''
img_root = data_root + img_prefix
train_ann = 'annotations/train.json'
val_ann = 'annotations/val.json'
metainfo = dict(classes=('disc', 'square', 'triangle', 'cross', 'ellipse'))  # vnvc.data.CLASSES
backend_args = None

# The first step of every pipeline: frames (pixel baselines) or decoded features F̂t.
load_pixels = dict(type='LoadImageFromFile', backend_args=backend_args)
load_features = dict(type='LoadDecodedFeature', cache_dir=feature_cache, img_root=img_root)

# Frames are used at their own resolution (scale_factor 1): features are decoded there and pixel baselines match.
resize = dict(type='Resize', scale_factor=1.0, keep_ratio=True)
train_pipeline = [
    load_pixels,
    dict(type='LoadAnnotations', with_bbox=True),
    resize,
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    load_pixels,
    dict(type='LoadAnnotations', with_bbox=True),
    resize,
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='CocoDataset',
        data_root=data_root,
        ann_file=train_ann,
        data_prefix=dict(img=img_prefix),
        metainfo=metainfo,
        filter_cfg=dict(filter_empty_gt=True, min_size=8),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CocoDataset',
        data_root=data_root,
        ann_file=val_ann,
        data_prefix=dict(img=img_prefix),
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + val_ann, metric='bbox', backend_args=backend_args)
test_evaluator = val_evaluator
