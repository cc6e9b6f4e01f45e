"""Training and evaluation data: natural-content clips and labelled synthetic video made here, and MOTChallenge
sequences a user has, imported into the same layout."""

from vnvc.data.mot import import_mot
from vnvc.data.natural import NaturalClipDataset, clip_to_frames, render_clip
from vnvc.data.synthetic import CLASSES, SyntheticVideo, render_video
from vnvc.data.writers import generate_dataset, update_dataset_config

__all__ = ["CLASSES", "NaturalClipDataset", "SyntheticVideo", "clip_to_frames", "generate_dataset", "import_mot", "render_clip",
           "render_video", "update_dataset_config"]
