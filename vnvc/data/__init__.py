"""Training and evaluation data made here: natural-content clips and labelled synthetic video."""

from vnvc.data.natural import NaturalClipDataset, clip_to_frames, render_clip
from vnvc.data.synthetic import CLASSES, SyntheticVideo, render_video
from vnvc.data.writers import generate_dataset, update_dataset_config

__all__ = ["CLASSES", "NaturalClipDataset", "SyntheticVideo", "clip_to_frames", "generate_dataset", "render_clip",
           "render_video", "update_dataset_config"]
