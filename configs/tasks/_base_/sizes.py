# Smaller heads than the R50-FPN of the task configs, as named model overrides that a config picks with
# `model = _base_.<name>` (or `model = dict(detector=_base_.<name>)` for a tracker):
#   small_*  the shipped heads (configs/tasks/small/): ResNet-18 stages at half width, 64-channel FPN and heads
#   tiny_*   the tests' heads (configs/tasks/tiny/): ResNet-18 stages at 1/8 width, 16-channel FPN and heads
small_rcnn = dict(
    backbone=dict(depth=18, base_channels=32),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=64), bbox_head=dict(in_channels=64, fc_out_channels=256)),
    # small frames with a handful of objects: fewer proposals and sampled RoIs than mmdet's COCO settings
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000, max_per_img=300), rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)))
small_mask = dict(mask_roi_extractor=dict(out_channels=64), mask_head=dict(in_channels=64, conv_out_channels=64))
small_retina = dict(
    backbone=small_rcnn['backbone'],
    neck=small_rcnn['neck'],
    bbox_head=dict(in_channels=64, feat_channels=64))

tiny_rcnn = dict(
    backbone=dict(depth=18, base_channels=8),
    neck=dict(in_channels=[8, 16, 32, 64], out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=16), bbox_head=dict(in_channels=16, fc_out_channels=32)),
    train_cfg=dict(rpn=dict(sampler=dict(num=64)), rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=50)))
tiny_mask = dict(mask_roi_extractor=dict(out_channels=16), mask_head=dict(num_convs=2, in_channels=16,
                                                                         conv_out_channels=16))
tiny_retina = dict(
    backbone=tiny_rcnn['backbone'],
    neck=tiny_rcnn['neck'],
    bbox_head=dict(in_channels=16, feat_channels=16, stacked_convs=2),
    test_cfg=dict(nms_pre=200, max_per_img=50, score_thr=0.0))  # an untrained head scores about 0.01
