# Pixel-domain baseline tracker: ByteTrack (Kalman motion + two-stage IoU association) on the Faster R-CNN of
# detection_pixel.py. Training trains the detector on single frames; evaluation tracks whole videos and scores
# HOTA / CLEAR (MOTA) / Identity (IDF1) with trackeval, class-agnostic (tasks.VideoTrackDataset).
_base_ = './detection_pixel.py'

detector = _base_.model
detector.rpn_head.bbox_coder.update(dict(clip_border=False))
detector.roi_head.bbox_head.bbox_coder.update(dict(clip_border=False))
model = dict(
    _delete_=True,
    type='ByteTrack',
    # the detector's own settings; training feeds single frames through the detector's path
    data_preprocessor=dict(
        detector.pop('data_preprocessor'), type='TrackDataPreprocessor', use_det_processor=True),
    detector=detector,
    tracker=dict(
        type='ByteTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thrs=dict(high=0.6, low=0.1),
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
        num_frames_retain=30))

track_test_pipeline = [
    dict(type='TransformBroadcaster',
         transforms=[_base_.load_pixels, _base_.resize, dict(type='LoadTrackAnnotations')]),
    dict(type='PackTrackInputs'),
]
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type='VideoTrackDataset',
        data_root=_base_.data_root,
        ann_file=_base_.val_ann,
        data_prefix=dict(img_path=_base_.img_prefix),
        metainfo=_base_.metainfo,
        test_mode=True,
        pipeline=track_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MOTChallengeMetric', metric=['HOTA', 'CLEAR', 'Identity'])
test_evaluator = val_evaluator

default_hooks = dict(visualization=dict(_delete_=True, type='TrackVisualizationHook', draw=False))
visualizer = dict(_delete_=True, type='TrackLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer')
