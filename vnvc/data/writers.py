"""Write labelled video (generated here, or imported by `vnvc.data.mot`) to disk in the layouts mmdet 3.x,
MOTChallenge tools and the codec read.

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
from collections.abc import Iterable
from dataclasses import dataclass
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
    coco = CocoVideoBuilder(list(CLASSES), supercategory="shape")
    for index in range(num_videos):
        name = f"vid{index:04d}"
        video = render_video(frames, height, width, np.random.default_rng([seed, SPLITS.index(split), index]))
        write_sequence(root, split, name, video.frames, video.labels.shape[1:], _labels(video), FPS, coco)
    info = dict(description="vnvc synthetic labelled video", split=split, seed=seed)
    sequences = {f"vid{i:04d}/img1": frames for i in range(num_videos)}
    return finish_split(root, split, f"SYNTH_{split}", coco, info, sequences)


@dataclass(frozen=True)
class Label:
    """One object in one frame: what the COCO json and ``gt.txt`` record (``mask`` None: boxes only)."""

    track_id: int  # within its video, from 1
    category_id: int  # from 1
    bbox: tuple[float, float, float, float]  # x, y, w, h in pixels
    area: float
    visibility: float
    mask: np.ndarray | None = None  # bool (H, W)


def _labels(video: SyntheticVideo) -> list[list[Label]]:
    return [[Label(i.track_id, i.category + 1, i.bbox, i.area, i.visibility, i.mask) for i in frame]
            for frame in video.instances]


def write_sequence(root: Path, split: str, name: str, frames: Any, size: tuple[int, int],
                   labels: list[list[Label]], fps: float, coco: "CocoVideoBuilder") -> None:
    """One video's PNG folder, ``gt.txt`` and ``seqinfo.ini``, and its entries in ``coco``. ``frames``: uint8
    (H, W, 3) frames of ``size`` (H, W), an array or an iterable of exactly ``len(labels)``."""
    folder = root / split / name
    count = write_png_folder(frames, folder / "img1")
    if count != len(labels):
        raise InputError(f"{folder}: {count} frames written for {len(labels)} labelled frames")
    height, width = size
    write_mot_gt(labels, folder / "gt" / "gt.txt")
    write_seqinfo(name, count, height, width, fps, folder / "seqinfo.ini")
    coco.add_video(name, f"{split}/{name}/img1", width, height, fps, labels)


def finish_split(root: Path, split: str, config_class: str, coco: "CocoVideoBuilder", info: dict[str, Any],
                 sequences: dict[str, int]) -> Path:
    """Write the split's COCO json and its class in ``root/dataset_config.json``; returns the json's path."""
    ann_file = root / "annotations" / f"{split}.json"
    _write_text(ann_file, json.dumps(coco.result(info), separators=(",", ":")) + "\n")
    update_dataset_config(root / "dataset_config.json", config_class, f"{split}/", sequences)
    return ann_file


class CocoVideoBuilder:
    """COCO json with ``videos``, per-image ``video_id``/``frame_id`` (from 0) and per-track ``instance_id``."""

    def __init__(self, classes: list[str], supercategory: str):
        self.categories = [dict(id=i + 1, name=name, supercategory=supercategory) for i, name in enumerate(classes)]
        self.videos: list[dict[str, Any]] = []
        self.images: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []
        self.next_instance = 1

    def add_video(self, name: str, image_dir: str, width: int, height: int, fps: float,
                  labels: list[list[Label]]) -> None:
        video_id = len(self.videos) + 1
        self.videos.append(dict(id=video_id, name=name, width=width, height=height, frames=len(labels), fps=fps))
        instance_ids: dict[int, int] = {}
        for t, frame in enumerate(labels):
            image_id = len(self.images) + 1
            self.images.append(dict(id=image_id, video_id=video_id, frame_id=t, width=width, height=height,
                                    file_name=f"{image_dir}/im{t + 1:05d}.png"))
            for label in frame:
                if label.track_id not in instance_ids:
                    instance_ids[label.track_id] = self.next_instance
                    self.next_instance += 1
                annotation = dict(
                    id=len(self.annotations) + 1, image_id=image_id, video_id=video_id,
                    instance_id=instance_ids[label.track_id], category_id=label.category_id, bbox=list(label.bbox),
                    area=label.area, iscrowd=0, visibility=label.visibility, mot_conf=1.0)
                if label.mask is not None:
                    rle = mask_utils.encode(np.asfortranarray(label.mask.astype(np.uint8)))
                    annotation["segmentation"] = dict(size=rle["size"], counts=rle["counts"].decode("ascii"))
                self.annotations.append(annotation)

    def result(self, info: dict[str, Any]) -> dict[str, Any]:
        return dict(info=info, categories=self.categories, videos=self.videos, images=self.images,
                    annotations=self.annotations)


def write_mot_gt(labels: list[list[Label]], path: Path) -> None:
    """MOTChallenge ``gt.txt``: ``frame, id, x, y, w, h, conf, class, visibility`` with 1-based frames, per-video
    track ids, the COCO json's pixel boxes (as mmdet's mot2coco reads them) and class = category id."""
    lines = []
    for t, frame in enumerate(labels):
        for label in frame:
            x, y, w, h = label.bbox
            lines.append(f"{t + 1},{label.track_id},{x:g},{y:g},{w:g},{h:g},1,{label.category_id},"
                         f"{label.visibility:g}\n")
    _write_text(path, "".join(lines))


def write_seqinfo(name: str, frames: int, height: int, width: int, fps: float, path: Path) -> None:
    """MOTChallenge ``seqinfo.ini`` of one sequence."""
    _write_text(path, f"[Sequence]\nname={name}\nimDir=img1\nframeRate={fps:g}\nseqLength={frames}\n"
                      f"imWidth={width}\nimHeight={height}\nimExt=.png\n")


def update_dataset_config(path: str | Path, name: str, base_path: str, sequences: dict[str, int]) -> None:
    """Add or replace class ``name`` of the DCVC-style config at ``path``: ``sequences`` maps each PNG folder
    (relative to ``base_path``, itself relative to the config's folder) to its frame count, coded as one GOP."""
    path = Path(path)
    config = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    config[name] = dict(test=1, base_path=base_path,
                        sequences={seq: dict(frames=count, gop=count) for seq, count in sequences.items()})
    _write_text(path, json.dumps(config, indent=1) + "\n")


def write_test_set(out: str | Path, name: str, clips: Iterable[tuple[str, list[np.ndarray]]]) -> Path:
    """Write each ``(folder, frames)`` of ``clips`` as a PNG folder under ``out`` and name them all, as class
    ``name`` of one group of pictures each, in ``out/dataset_config.json`` (returned)."""
    out = Path(out)
    sequences = {}
    for folder, frames in clips:
        sequences[folder] = write_png_folder(frames, out / folder)
    config = out / "dataset_config.json"
    update_dataset_config(config, name, "./", sequences)
    return config


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
