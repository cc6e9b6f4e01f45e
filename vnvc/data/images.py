"""The photographs shipped inside our pinned pip packages (scikit-image's and matplotlib's wheels), as an image pool.

Nothing is downloaded: every file is read from the installed package. Grayscale photographs are tinted into colour.
Each image is also kept as a pyramid of halved copies so that views far smaller than the photograph are sampled
from a level close to their scale (bilinear sampling alone would alias).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

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


def _package_dir(package: str) -> Path:
    if package == "skimage":
        import skimage.data

        return Path(skimage.data.__file__).parent
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data"


def _load(package: str, name: str) -> np.ndarray:
    with Image.open(_package_dir(package) / name) as image:
        return np.asarray(image.convert("RGB" if (package, name) in COLOUR else "L"))


@lru_cache(maxsize=1)
def image_pool() -> tuple[torch.Tensor, ...]:
    """Every pool image as a float32 ``(3, H, W)`` tensor in [0, 1] (colour first, then tinted grayscale)."""
    images = [torch.from_numpy(_load(*entry).copy()).permute(2, 0, 1) for entry in COLOUR]
    tints = np.random.default_rng(0).uniform(0.55, 1.0, size=(len(GRAY), 3))
    for entry, tint in zip(GRAY, tints):
        gray = torch.from_numpy(_load(*entry).astype(np.float32))
        images.append((gray[None] * torch.from_numpy(tint).float()[:, None, None]).round())
    return tuple(image.float().div(255).contiguous() for image in images)


@lru_cache(maxsize=256)
def pyramid_level(index: int, level: int) -> torch.Tensor:
    """Pool image ``index`` halved ``level`` times with an anti-aliasing filter (level 0 is the image itself)."""
    if level == 0:
        return image_pool()[index]
    finer = pyramid_level(index, level - 1)
    size = (max(1, finer.shape[1] // 2), max(1, finer.shape[2] // 2))
    return F.interpolate(finer[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]


def level_for_scale(index: int, scale: float) -> int:
    """The coarsest pyramid level that still has at least one source pixel per output pixel at ``scale``
    (level-0 source pixels per output pixel)."""
    height, width = image_pool()[index].shape[1:]
    level = 0
    while scale >= 2 ** (level + 1) and min(height, width) >> (level + 1) >= _MIN_LEVEL_SIZE:
        level += 1
    return level
