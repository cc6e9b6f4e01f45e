"""``LoadDecodedFeature``: the data-pipeline step that feeds decoded features to mmdet instead of images."""

from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .feature_cache import feature_file, read_meta


@TRANSFORMS.register_module()
class LoadDecodedFeature(BaseTransform):
    """Replaces ``LoadImageFromFile``: reads F̂t of the frame at ``results['img_path']`` from a feature cache.

    ``results['img']`` becomes a float32 ``(H, W, C)`` array at the original frame size, so boxes and masks keep
    their frame coordinates and mmdet's geometric transforms (Resize, RandomFlip, crops) and ``PackDetInputs``
    treat it like a C-channel image. Leave padding to the data preprocessor (the ``Pad`` transform's OpenCV border
    value takes at most 4 channels) and give that preprocessor no mean/std and no BGR→RGB conversion.

    Args:
        cache_dir: one cache folder, ``<cache_root>/<checkpoint>/rate<r>`` (see ``tasks.feature_cache``).
        img_root: the folder the dataset's image paths are under (data_root joined with the image prefix).
    """

    def __init__(self, cache_dir: str, img_root: str):
        self.cache_dir = cache_dir
        self.img_root = img_root
        self.channels = read_meta(cache_dir)["feature_channels"]

    def transform(self, results: dict) -> dict:
        path = feature_file(self.cache_dir, self.img_root, results["img_path"])
        if not path.is_file():
            raise FileNotFoundError(f"no decoded feature for {results['img_path']} in {self.cache_dir} ({path})")
        feature = np.load(path)
        size = feature.shape[1:]
        expected = (results.get("height"), results.get("width"))
        if feature.shape[0] != self.channels or None not in expected and size != expected:
            raise ValueError(f"{path}: feature is {feature.shape}, expected ({self.channels}, {expected[0]}, "
                             f"{expected[1]}) for {results['img_path']}")
        results["img"] = np.ascontiguousarray(feature.transpose(1, 2, 0), dtype=np.float32)
        results["img_shape"] = size
        results["ori_shape"] = size
        return results

    def __repr__(self) -> str:
        return f"{type(self).__name__}(cache_dir={self.cache_dir!r}, img_root={self.img_root!r})"
