"""Labelled synthetic video for machine tasks: textured objects of five shape classes moving over natural video.

Objects move with varied speeds (some enter or leave the frame), grow or shrink and rotate; they are drawn back to
front in a fixed z-order, so nearer objects occlude farther ones. Each object's surface is a patch of a shipped
photograph mixed with a colour of its own, so appearance varies inside a class and the class is told by shape.
Labels are exact: the label map records which object every pixel shows, and each instance's mask is the set of
pixels it is visible at (after occlusion and frame clipping), its box is that mask's extent, and instances with
fewer than ``MIN_VISIBLE_AREA`` visible pixels are not annotated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from vnvc.data.images import image_pool, level_for_scale, pyramid_level
from vnvc.data.natural import render_clip

CLASSES = ("disc", "square", "triangle", "cross", "ellipse")
# Object half-extent at its first frame, as a fraction of the frame's smaller side.
SIZES = {"disc": (0.06, 0.12), "square": (0.07, 0.13), "triangle": (0.09, 0.16), "cross": (0.10, 0.18),
         "ellipse": (0.10, 0.18)}
# Shape area in units of (half-extent)^2, for the visible fraction.
AREAS = {"disc": math.pi, "square": 1.6 ** 2, "triangle": 3 * math.sqrt(3) / 4, "cross": 2 * 1.2 - 0.6 ** 2,
         "ellipse": math.pi * 0.5}
REACH = 1.14  # every shape lies within this radius (in half-extents) of its centre
MIN_VISIBLE_AREA = 16  # pixels
MAX_SPEED = 0.04  # fraction of the larger frame side per frame
_TRIANGLE_NORMALS = ((0.0, 1.0), (-math.sqrt(3) / 2, -0.5), (math.sqrt(3) / 2, -0.5))


def inside_shape(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Which points ``(u, v)`` (object coordinates, unit = half-extent, y down) lie inside ``shape``."""
    if shape == "disc":
        return u * u + v * v <= 1
    if shape == "ellipse":
        return u * u + 4 * v * v <= 1
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if shape == "triangle":  # equilateral, apex up, circumradius 1
        return np.logical_and.reduce([nx * u + ny * v <= 0.5 for nx, ny in _TRIANGLE_NORMALS])
    if shape == "cross":
        au, av = np.abs(u), np.abs(v)
        return ((au <= 1) & (av <= 0.3)) | ((au <= 0.3) & (av <= 1))
    raise ValueError(f"unknown shape {shape!r}")


@dataclass(frozen=True)
class SceneObject:
    """One object's class, motion and appearance; positions in pixels, times in frames."""

    category: int  # index into CLASSES
    size: float  # half-extent at frame 0
    growth: float  # log-size change per frame
    position: tuple[float, float]  # centre at frame 0
    velocity: tuple[float, float]
    acceleration: tuple[float, float]
    angle: float
    spin: float
    texture: int  # pool image
    patch: tuple[float, float, float]  # patch centre x, y and half-size, normalised to the pool image
    tint: tuple[float, float, float]
    tint_weight: float

    @property
    def shape(self) -> str:
        return CLASSES[self.category]

    def pose(self, t: int) -> tuple[float, float, float, float]:
        """Centre x, y, half-extent and angle at frame ``t``."""
        x = self.position[0] + self.velocity[0] * t + 0.5 * self.acceleration[0] * t * t
        y = self.position[1] + self.velocity[1] * t + 0.5 * self.acceleration[1] * t * t
        size = self.size * math.exp(max(-0.7, min(0.7, self.growth * t)))
        return x, y, size, self.angle + self.spin * t


def sample_objects(frames: int, height: int, width: int, rng: np.random.Generator) -> list[SceneObject]:
    """3 to 6 random objects, back to front; about half stay in view, the others enter or leave it."""
    objects = []
    for _ in range(int(rng.integers(3, 7))):
        category = int(rng.integers(len(CLASSES)))
        low, high = SIZES[CLASSES[category]]
        size = rng.uniform(low, high) * min(height, width)
        speed = rng.uniform(0.05, 1.0) * MAX_SPEED * max(height, width)
        kind = rng.choice(["inside", "enter", "leave"], p=[0.5, 0.25, 0.25])
        if kind == "inside":
            heading = rng.uniform(0, 2 * math.pi)
            position = rng.uniform([size, size], [max(size, width - size), max(size, height - size)])
        else:
            position, heading, speed = _edge_crossing(kind, frames, height, width, size, speed, rng)
        velocity = speed * np.array([math.cos(heading), math.sin(heading)])
        texture = int(rng.integers(len(image_pool())))
        half = rng.uniform(0.12, 0.35)
        tint = rng.uniform(0, 1, size=3)
        tint = (tint - tint.min()) / max(tint.max() - tint.min(), 1e-6)  # saturated
        objects.append(SceneObject(
            category=category, size=float(size), growth=float(rng.uniform(-0.015, 0.015)),
            position=(float(position[0]), float(position[1])), velocity=(float(velocity[0]), float(velocity[1])),
            acceleration=tuple(float(a) for a in rng.normal(0, 0.02 * speed, size=2)),
            angle=float(rng.uniform(0, 2 * math.pi)), spin=float(rng.uniform(-0.08, 0.08)), texture=texture,
            patch=(float(rng.uniform(-1 + half, 1 - half)), float(rng.uniform(-1 + half, 1 - half)), float(half)),
            tint=tuple(float(c) for c in tint), tint_weight=float(rng.uniform(0.3, 0.6))))
    return objects


def _edge_crossing(kind: str, frames: int, height: int, width: int, size: float, speed: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    """Frame-0 centre, heading and speed of an object that is just out of view at a random frame and moves in
    (``enter``) or has just moved out (``leave``)."""
    edge = int(rng.integers(4))  # left, top, right, bottom
    outward = (math.pi, -math.pi / 2, 0.0, math.pi / 2)[edge]
    reach = REACH * size
    along = rng.uniform(0, width if edge % 2 else height)
    at = {0: (-reach, along), 1: (along, -reach), 2: (width + reach, along), 3: (along, height + reach)}[edge]
    speed = max(speed, 0.4 * MAX_SPEED * max(height, width))
    if kind == "enter":
        t_cross = int(rng.integers(0, max(1, frames // 2)))
        heading = outward + math.pi + rng.uniform(-0.7, 0.7)
    else:
        t_cross = int(rng.integers(frames // 2, frames)) if frames > 1 else 0
        heading = outward + rng.uniform(-0.7, 0.7)
    start = np.array(at) - speed * t_cross * np.array([math.cos(heading), math.sin(heading)])
    return start, heading, speed


@dataclass
class Instance:
    """One object's visible part in one frame."""

    track_id: int  # 1-based within the video, in order of first appearance
    category: int  # index into CLASSES
    bbox: tuple[int, int, int, int]  # x, y, w, h: the mask's extent in whole pixels
    area: int  # visible pixels
    visibility: float  # visible area / the whole shape's area
    mask: np.ndarray  # bool (H, W)


@dataclass
class SyntheticVideo:
    """A rendered video with its exact labels."""

    frames: np.ndarray  # uint8 (T, H, W, 3)
    labels: np.ndarray  # int16 (T, H, W): 0 background, k the k-th object of `objects`
    objects: list[SceneObject]
    instances: list[list[Instance]]  # per frame, by track id


def render_video(frames: int, height: int, width: int, rng: np.random.Generator) -> SyntheticVideo:
    """Render one labelled video of ``frames`` frames."""
    video = render_clip(frames, height, width, rng)
    objects = sample_objects(frames, height, width, rng)
    labels = np.zeros((frames, height, width), dtype=np.int16)
    ys, xs = np.mgrid[0:height, 0:width] + 0.5  # pixel centres
    for t in range(frames):
        for k, obj in enumerate(objects, start=1):
            _draw(video[t], labels[t], k, obj, t, xs, ys)
    pixels = video.permute(0, 2, 3, 1).mul(255).round().clamp(0, 255).to(torch.uint8).numpy()
    return SyntheticVideo(pixels, labels, objects, _instances(labels, objects))


def _draw(frame: torch.Tensor, labels: np.ndarray, k: int, obj: SceneObject, t: int, xs: np.ndarray,
          ys: np.ndarray) -> None:
    """Paint object ``k`` over ``frame`` (3, H, W) and ``labels`` (H, W) in place."""
    height, width = labels.shape
    cx, cy, size, angle = obj.pose(t)
    reach = REACH * size
    x0, x1 = max(0, math.floor(cx - reach)), min(width, math.ceil(cx + reach) + 1)
    y0, y1 = max(0, math.floor(cy - reach)), min(height, math.ceil(cy + reach) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    dx, dy = xs[y0:y1, x0:x1] - cx, ys[y0:y1, x0:x1] - cy
    cos, sin = math.cos(angle), math.sin(angle)
    u, v = (cos * dx + sin * dy) / size, (cos * dy - sin * dx) / size
    mask = inside_shape(obj.shape, u, v)
    if not mask.any():
        return
    rows, cols = np.nonzero(mask)
    labels[y0 + rows, x0 + cols] = k
    px, py, half = obj.patch
    grid = torch.from_numpy(np.stack([px + half * u[mask], py + half * v[mask]], -1)).float()[None, None]
    source_hw = image_pool()[obj.texture].shape[1:]
    scale = half * max(source_hw) / 2 / size  # source pixels per frame pixel, roughly
    source = pyramid_level(obj.texture, level_for_scale(obj.texture, scale))
    texture = F.grid_sample(source[None], grid, mode="bilinear", padding_mode="border", align_corners=False)[0, :, 0]
    shade = torch.from_numpy(1 - 0.12 * (u[mask] + v[mask])).float()  # lit from the top left
    colour = (1 - obj.tint_weight) * texture + obj.tint_weight * torch.tensor(obj.tint)[:, None]
    frame[:, torch.from_numpy(y0 + rows), torch.from_numpy(x0 + cols)] = (colour * shade).clamp(0, 1)


def _instances(labels: np.ndarray, objects: list[SceneObject]) -> list[list[Instance]]:
    track_ids: dict[int, int] = {}
    per_frame = []
    for t, frame_labels in enumerate(labels):
        found = []
        for k, obj in enumerate(objects, start=1):
            mask = frame_labels == k
            area = int(mask.sum())
            if area < MIN_VISIBLE_AREA:
                continue
            rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
            bbox = (int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))
            whole = AREAS[obj.shape] * obj.pose(t)[2] ** 2
            track_id = track_ids.setdefault(k, len(track_ids) + 1)
            found.append(Instance(track_id, obj.category, bbox, area, round(min(1.0, area / whole), 4), mask))
        per_frame.append(sorted(found, key=lambda instance: instance.track_id))
    return per_frame
