"""Video dataset glue for tracking evaluation with mmdet's ``MOTChallengeMetric`` (trackeval)."""

from __future__ import annotations

from mmdet.datasets import MOTChallengeDataset
from mmdet.registry import DATASETS

# trackeval's MOTChallenge evaluation scores one class, "pedestrian", whose MOT class id is 1.
MOT_EVAL_CATEGORY = 1


@DATASETS.register_module()
class VideoTrackDataset(MOTChallengeDataset):
    """A COCO-VID json of any classes (images with ``video_id``/``frame_id``, annotations with ``instance_id``)
    for class-agnostic MOT evaluation.

    Annotations may omit MOTChallenge's ``mot_conf`` and ``visibility`` (both default to 1), and every ground-truth
    track is reported to the metric as MOT category 1, so HOTA/CLEAR/Identity cover all classes together. Frame ids
    must start at 0 within each video, and an image path's third-last component names its video
    (``<video>/img1/<frame>.png``), as ``MOTChallengeMetric`` expects.
    """

    def parse_data_info(self, raw_data_info: dict) -> dict:
        for ann in raw_data_info["raw_ann_info"]:
            ann.setdefault("mot_conf", 1.0)
            ann.setdefault("visibility", 1.0)
        data_info = super().parse_data_info(raw_data_info)
        for instance in data_info["instances"]:
            instance["category_id"] = MOT_EVAL_CATEGORY
        return data_info
