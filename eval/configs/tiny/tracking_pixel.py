# Tiny pixel baseline for eval/machine_vision.py and its tests (configs/tasks/tiny/ has no tracking_pixel.py):
# ByteTrack over a Faster R-CNN on frames with the sizes of configs/tasks/tiny/tracking_feature.py.
_base_ = '../../../configs/tasks/tracking_pixel.py'

model = dict(
    detector=dict(
        backbone=dict(depth=18, base_channels=8),
        neck=dict(in_channels=[8, 16, 32, 64], out_channels=16),
        rpn_head=dict(in_channels=16, feat_channels=16),
        roi_head=dict(bbox_roi_extractor=dict(out_channels=16), bbox_head=dict(in_channels=16, fc_out_channels=32)),
        train_cfg=dict(rpn=dict(sampler=dict(num=64)), rcnn=dict(sampler=dict(num=64))),
        test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=50))))

train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2, by_epoch=False))
log_processor = dict(by_epoch=False)
