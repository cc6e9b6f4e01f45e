"""Labelled training clips for joint human–machine fine-tuning: consecutive frames of a COCO-VID dataset (the
layout ``generate_dataset`` writes) with their boxes, cropped to the training size."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import InputError

MIN_BOX_SIDE = 2.0  # boxes cut to less than this by the crop are dropped


@dataclass(frozen=True)
class LabelledClip:
    """``frames`` float32 (T, 3, H, W) in [0, 1]; per frame, ``boxes`` (k, 4) x1 y1 x2 y2 and ``labels`` (k,)
    class indices from 0, in the crop's coordinates."""

    frames: torch.Tensor
    boxes: list[torch.Tensor]
    labels: list[torch.Tensor]


class LabelledClipDataset:
    """Clip ``i`` depends only on ``(seed, i)``: a video, a first frame and a crop position drawn from them.

    Every video needs at least ``frames`` frames of at least ``height`` x ``width`` pixels.
    """

    def __init__(self, root: str | Path, split: str, frames: int, height: int, width: int, seed: int = 0):
        self.root = Path(root)
        ann = self.root / "annotations" / f"{split}.json"
        if not ann.is_file():
            raise InputError(f"no {ann}: the joint stage's task data must be a dataset root with "
                             "annotations/<split>.json (vnvc.data.generate_dataset)")
        coco = json.loads(ann.read_text())
        categories = sorted(c["id"] for c in coco["categories"])
        self.label_of = {cid: i for i, cid in enumerate(categories)}
        videos: dict[int, list[dict]] = defaultdict(list)
        for image in coco["images"]:
            videos[image.get("video_id", image["id"])].append(image)
        self.boxes: dict[int, list[list[float]]] = defaultdict(list)
        for a in coco["annotations"]:
            self.boxes[a["image_id"]].append([*a["bbox"], a["category_id"]])
        self.videos = [sorted(v, key=lambda im: im.get("frame_id", 0)) for _, v in sorted(videos.items())]
        self.videos = [v for v in self.videos if len(v) >= frames]
        small = [v[0]["file_name"] for v in self.videos if v[0]["height"] < height or v[0]["width"] < width]
        if not self.videos or small:
            raise InputError(f"{ann}: needs videos of at least {frames} frames of {width}x{height} or more"
                             + (f" ({small[0]} is smaller)" if small else ""))
        self.frames, self.height, self.width, self.seed = frames, height, width, seed

    def __getitem__(self, index: int) -> LabelledClip:
        rng = np.random.default_rng([self.seed, index])
        video = self.videos[rng.integers(len(self.videos))]
        first = rng.integers(len(video) - self.frames + 1)
        top = rng.integers(video[0]["height"] - self.height + 1)
        left = rng.integers(video[0]["width"] - self.width + 1)
        frames, boxes, labels = [], [], []
        for image in video[first:first + self.frames]:
            with Image.open(self.root / image["file_name"]) as im:
                pixels = np.asarray(im.convert("RGB"))[top:top + self.height, left:left + self.width]
            frames.append(torch.from_numpy(pixels.copy()).permute(2, 0, 1).float() / 255)
            b, l = self._crop_boxes(self.boxes[image["id"]], top, left)
            boxes.append(b)
            labels.append(l)
        return LabelledClip(torch.stack(frames), boxes, labels)

    def _crop_boxes(self, annotations: list[list[float]], top: int, left: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not annotations:
            return torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)
        a = np.asarray(annotations, dtype=np.float64)
        x1 = np.clip(a[:, 0] - left, 0, self.width)
        y1 = np.clip(a[:, 1] - top, 0, self.height)
        x2 = np.clip(a[:, 0] + a[:, 2] - left, 0, self.width)
        y2 = np.clip(a[:, 1] + a[:, 3] - top, 0, self.height)
        keep = (x2 - x1 >= MIN_BOX_SIDE) & (y2 - y1 >= MIN_BOX_SIDE)
        boxes = torch.tensor(np.stack([x1, y1, x2, y2], 1)[keep], dtype=torch.float32).reshape(-1, 4)
        labels = torch.tensor([self.label_of[int(c)] for c in a[keep, 4]], dtype=torch.long)
        return boxes, labels
