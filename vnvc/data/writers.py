"""Write synthetic labelled video to disk in the layouts mmdet 3.x, MOTChallenge tools and the codec read.

::

    <root>/annotations/<split>.json          COCO with videos and instance ids (mmdet's CocoVID / BaseVideoDataset)
    <root>/<split>/<video>/img1/im00001.png  frames (a PNG folder the codec reads; <video> is the path's third-last
                                             part, as mmdet's MOTChallengeMetric expects)
    <root>/<split>/<video>/gt/gt.txt         MOTChallenge ground truth
    <root>/<split>/<video>/seqinfo.ini       MOTChallenge sequence info
    <root>/dataset_config.json               DCVC-style config: class SYNTH_<split>, base_path <split>/, one
                                             sequence <video>/img1 per video, coded as one GOP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from vnvc.data.synthetic import CLASSES, SyntheticVideo, render_video
from vnvc.errors import InputError
from vnvc.io import write_png_folder

SPLITS = ("train", "val", "test")
FPS = 25


def generate_dataset(root: str | Path, split: str, num_videos: int, frames: int, height: int, width: int,
                     seed: int = 0) -> Path:
    """Render ``num_videos`` labelled videos of ``split`` under ``root``; returns the COCO json's path.

    Video ``i`` of a split depends only on ``(seed, split, i)``, so splits never share a video. The split's folder
    must not exist yet. ``root/dataset_config.json`` gains (or replaces) the class ``SYNTH_<split>``.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if min(num_videos, frames, height, width) < 1:
        raise ValueError("num_videos, frames, height and width must be positive")
    root = Path(root)
    if (root / split).exists():
        raise InputError(f"{root / split}: already exists; generate each split into a new folder")
    coco = _CocoBuilder()
    for index in range(num_videos):
        name = f"vid{index:04d}"
        video = render_video(frames, height, width, np.random.default_rng([seed, SPLITS.index(split), index]))
        folder = root / split / name
        write_png_folder(video.frames, folder / "img1")
        write_mot_gt(video, folder / "gt" / "gt.txt")
        write_seqinfo(name, video, folder / "seqinfo.ini")
        coco.add_video(name, f"{split}/{name}/img1", video)
    ann_file = root / "annotations" / f"{split}.json"
    info = dict(description="vnvc synthetic labelled video", split=split, seed=seed)
    _write_text(ann_file, json.dumps(coco.result(info), separators=(",", ":")) + "\n")
    sequences = {f"vid{i:04d}/img1": frames for i in range(num_videos)}
    update_dataset_config(root / "dataset_config.json", f"SYNTH_{split}", f"{split}/", sequences)
    return ann_file


class _CocoBuilder:
    """COCO json with ``videos``, per-image ``video_id``/``frame_id`` (from 0) and per-track ``instance_id``."""

    def __init__(self):
        self.videos: list[dict[str, Any]] = []
        self.images: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []
        self.next_instance = 1

    def add_video(self, name: str, image_dir: str, video: SyntheticVideo) -> None:
        frames, height, width = video.labels.shape
        video_id = len(self.videos) + 1
        self.videos.append(dict(id=video_id, name=name, width=width, height=height, frames=frames, fps=FPS))
        instance_ids: dict[int, int] = {}
        for t, instances in enumerate(video.instances):
            image_id = len(self.images) + 1
            self.images.append(dict(id=image_id, video_id=video_id, frame_id=t, width=width, height=height,
                                    file_name=f"{image_dir}/im{t + 1:05d}.png"))
            for inst in instances:
                if inst.track_id not in instance_ids:
                    instance_ids[inst.track_id] = self.next_instance
                    self.next_instance += 1
                rle = mask_utils.encode(np.asfortranarray(inst.mask.astype(np.uint8)))
                self.annotations.append(dict(
                    id=len(self.annotations) + 1, image_id=image_id, video_id=video_id,
                    instance_id=instance_ids[inst.track_id], category_id=inst.category + 1, bbox=list(inst.bbox),
                    area=inst.area, iscrowd=0, visibility=inst.visibility, mot_conf=1.0,
                    segmentation=dict(size=rle["size"], counts=rle["counts"].decode("ascii"))))

    def result(self, info: dict[str, Any]) -> dict[str, Any]:
        categories = [dict(id=i + 1, name=name, supercategory="shape") for i, name in enumerate(CLASSES)]
        return dict(info=info, categories=categories, videos=self.videos, images=self.images,
                    annotations=self.annotations)


def write_mot_gt(video: SyntheticVideo, path: Path) -> None:
    """MOTChallenge ``gt.txt``: ``frame, id, x, y, w, h, conf, class, visibility`` with 1-based frames, per-video
    track ids, the COCO json's pixel boxes (as mmdet's mot2coco reads them) and class = category id."""
    lines = []
    for t, instances in enumerate(video.instances):
        for inst in instances:
            x, y, w, h = inst.bbox
            lines.append(f"{t + 1},{inst.track_id},{x},{y},{w},{h},1,{inst.category + 1},{inst.visibility:g}\n")
    _write_text(path, "".join(lines))


def write_seqinfo(name: str, video: SyntheticVideo, path: Path) -> None:
    """MOTChallenge ``seqinfo.ini`` of one sequence."""
    frames, height, width = video.labels.shape
    _write_text(path, f"[Sequence]\nname={name}\nimDir=img1\nframeRate={FPS}\nseqLength={frames}\n"
                      f"imWidth={width}\nimHeight={height}\nimExt=.png\n")


def update_dataset_config(path: str | Path, name: str, base_path: str, sequences: dict[str, int]) -> None:
    """Add or replace class ``name`` of the DCVC-style config at ``path``: ``sequences`` maps each PNG folder
    (relative to ``base_path``, itself relative to the config's folder) to its frame count, coded as one GOP."""
    path = Path(path)
    config = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    config[name] = dict(test=1, base_path=base_path,
                        sequences={seq: dict(frames=count, gop=count) for seq, count in sequences.items()})
    _write_text(path, json.dumps(config, indent=1) + "\n")


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
