"""Natural-content training video: a virtual camera moving smoothly over a shipped photograph (`vnvc.data.images`).

The camera follows a curved pan (a quadratic Bézier path of its centre), zooms and rotates slowly, and the clip's
brightness drifts; the view always stays inside the photograph. Motion is set in output pixels per frame, so
longer clips are not slower. Clip ``i`` of a dataset depends only on ``(seed, i)``: clips are reproducible and any
process of a distributed run can make any clip on the fly. The camera path also gives each frame's exact motion
(`camera_flow`), which supervises the motion codec's warm-up in place of a pretrained optical-flow network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from vnvc.data.images import check_pool, image_pool, level_for_scale, pyramid_level

MAX_ANGLE = 0.2  # radians
MAX_SPEED = 0.03  # default bound of the camera speed, fraction of the larger output side per frame


@dataclass(frozen=True)
class CameraPath:
    """Per frame: view centre ``(x, y)`` and scale (source pixels per output pixel) in the photograph's full-size
    pixels, and rotation in radians."""

    centres: np.ndarray  # (T, 2)
    scales: np.ndarray  # (T,)
    angles: np.ndarray  # (T,)


def camera_path(frames: int, height: int, width: int, source_hw: tuple[int, int],
                rng: np.random.Generator, max_speed: float = MAX_SPEED) -> CameraPath:
    """A random smooth camera move whose ``height`` x ``width`` view stays inside a ``source_hw`` photograph; its
    speed is uniform up to ``max_speed`` larger output sides per frame."""
    src_h, src_w = source_hw
    t = np.arange(frames, dtype=np.float64)
    angle0 = rng.uniform(-0.1, 0.1)
    spin = rng.uniform(-0.006, 0.006)
    angles = np.clip(angle0 + spin * t, -MAX_ANGLE, MAX_ANGLE)
    c, s = math.cos(np.abs(angles).max()), math.sin(np.abs(angles).max())
    fit = min(src_w / (width * c + height * s), src_h / (width * s + height * c))  # largest scale that fits
    scales = fit * math.exp(rng.uniform(math.log(0.4), math.log(0.85))) * np.exp(rng.uniform(-0.01, 0.01) * t)
    scales *= min(1.0, 0.95 * fit / scales.max())
    half_x = scales.max() * (width * c + height * s) / 2
    half_y = scales.max() * (width * s + height * c) / 2
    low, high = np.array([half_x, half_y]), np.array([src_w - half_x, src_h - half_y])
    start = rng.uniform(low, high)
    heading = rng.uniform(0, 2 * math.pi)
    direction = np.array([math.cos(heading), math.sin(heading)])
    travel = rng.uniform(0, max_speed) * max(height, width) * scales[0] * max(frames - 1, 0)
    end = np.clip(start + travel * direction, low, high)
    bend = rng.uniform(-0.5, 0.5) * np.array([-direction[1], direction[0]]) * np.linalg.norm(end - start)
    control = np.clip((start + end) / 2 + bend, low, high)
    tau = (t / max(frames - 1, 1))[:, None]
    centres = (1 - tau) ** 2 * start + 2 * tau * (1 - tau) * control + tau ** 2 * end
    return CameraPath(centres, scales, angles)


def path_to_affine(path: CameraPath, height: int, width: int, source_hw: tuple[int, int]) -> torch.Tensor:
    """``affine_grid`` matrices ``(T, 2, 3)`` (``align_corners=False``) mapping the output view into the source."""
    src_h, src_w = source_hw
    cos, sin = np.cos(path.angles), np.sin(path.angles)
    kx, ky = path.scales / (src_w / 2), path.scales / (src_h / 2)
    rows = [
        np.stack([kx * cos * width / 2, -kx * sin * height / 2, path.centres[:, 0] / (src_w / 2) - 1], 1),
        np.stack([ky * sin * width / 2, ky * cos * height / 2, path.centres[:, 1] / (src_h / 2) - 1], 1),
    ]
    return torch.from_numpy(np.stack(rows, 1)).float()


def camera_flow(affine: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Backward flow ``(T, 2, H, W)`` in pixels (dx, dy) of the views ``affine`` (``path_to_affine``): frame t at
    pixel p shows what frame t-1 shows at p + flow[t](p) (the convention of `vnvc.layers.flow_warp`); flow[0] = 0.
    """
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float64), torch.arange(width, dtype=torch.float64),
                            indexing="ij")
    size = torch.tensor([width, height], dtype=torch.float64)
    pixels = torch.stack([xs, ys], -1).reshape(-1, 2)  # (P, 2)
    normalized = (2 * pixels + 1) / size - 1  # align_corners=False
    matrix, shift = affine[:, :, :2].double(), affine[:, :, 2].double()
    source = normalized @ matrix.transpose(1, 2) + shift[:, None]  # (T, P, 2): where each pixel looks
    previous = (source[1:] - shift[:-1, None]) @ torch.linalg.inv(matrix[:-1]).transpose(1, 2)
    flow = torch.zeros(affine.shape[0], height * width, 2, dtype=torch.float64)
    flow[1:] = (previous - normalized) * size / 2
    return flow.reshape(-1, height, width, 2).permute(0, 3, 1, 2).float()


def render_clip(frames: int, height: int, width: int, rng: np.random.Generator,
                image_index: int | None = None, with_flow: bool = False, max_speed: float = MAX_SPEED,
                pool: str = "photos") -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """A ``(frames, 3, height, width)`` clip in [0, 1] over image ``image_index`` of ``pool``
    (`vnvc.data.images.POOLS`; random when None), and with ``with_flow`` its exact backward flow
    ``(frames, 2, height, width)`` (`camera_flow`). ``max_speed`` bounds the camera speed (`camera_path`)."""
    if image_index is None:
        image_index = int(rng.integers(len(image_pool(pool))))
    source_hw = tuple(image_pool(pool)[image_index].shape[1:])
    path = camera_path(frames, height, width, source_hw, rng, max_speed)
    source = pyramid_level(image_index, level_for_scale(image_index, float(path.scales.min()), pool), pool)
    affine = path_to_affine(path, height, width, source_hw)
    grid = F.affine_grid(affine, [frames, 3, height, width], align_corners=False)
    clip = F.grid_sample(source.expand(frames, -1, -1, -1), grid, mode="bilinear", padding_mode="border",
                         align_corners=False)
    gain = rng.uniform(0.85, 1.1) * (1 + rng.uniform(-0.01, 0.01) * torch.arange(frames, dtype=torch.float32))
    balance = torch.from_numpy(rng.uniform(0.92, 1.08, size=3)).float()
    clip = clip * gain[:, None, None, None] * balance[None, :, None, None]
    flip = rng.random() < 0.5
    if flip:
        clip = clip.flip(-1)
    clip = clip.clamp_(0, 1)
    if not with_flow:
        return clip
    flow = camera_flow(affine, height, width)
    if flip:
        flow = flow.flip(-1) * torch.tensor([-1.0, 1.0]).view(1, 2, 1, 1)
    return clip, flow


class NaturalClipDataset(Dataset):
    """``num_clips`` clips of ``frames`` frames, float32 ``(T, 3, H, W)`` in [0, 1], deterministic from ``seed``;
    with ``with_flow`` each item is ``(clip, flow)``, the clip's exact backward flow ``(T, 2, H, W)``.

    ``max_speed`` bounds the camera speed in larger output sides per frame: small training frames with a higher
    bound move by as many pixels a frame as larger frames do at the default. ``pool`` names the pictures the
    clips are drawn from (`vnvc.data.images.POOLS`).
    """

    def __init__(self, num_clips: int, frames: int, height: int, width: int, seed: int = 0, with_flow: bool = False,
                 max_speed: float = MAX_SPEED, pool: str = "photos"):
        if min(num_clips, frames, height, width) < 1:
            raise ValueError("num_clips, frames, height and width must be positive")
        if max_speed < 0:
            raise ValueError(f"max_speed must not be negative, got {max_speed}")
        self.num_clips, self.frames, self.height, self.width, self.seed = num_clips, frames, height, width, seed
        self.with_flow, self.max_speed, self.pool = with_flow, max_speed, check_pool(pool)

    def __len__(self) -> int:
        return self.num_clips

    def __getitem__(self, index: int) -> torch.Tensor:
        if not 0 <= index < self.num_clips:
            raise IndexError(f"clip {index} of a dataset of {self.num_clips}")
        return render_clip(self.frames, self.height, self.width, np.random.default_rng([self.seed, index]),
                           with_flow=self.with_flow, max_speed=self.max_speed, pool=self.pool)


def clip_to_frames(clip: torch.Tensor) -> list[np.ndarray]:
    """``(T, 3, H, W)`` float clip -> list of ``uint8`` ``(H, W, 3)`` frames (e.g. for ``vnvc.io.write_png_folder``)."""
    return [frame.permute(1, 2, 0).mul(255).round().clamp(0, 255).byte().numpy() for frame in clip]
