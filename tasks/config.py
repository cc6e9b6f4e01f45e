"""Loading task configs with their data and feature-cache paths filled in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mmengine.config import Config

from .feature_cache import read_meta

DATA_ENV = "VNVC_TASK_DATA"
CACHE_ENV = "VNVC_FEATURE_CACHE"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _feature_backbones(node) -> Iterator[dict]:
    if isinstance(node, dict):
        if node.get("type") == "FeatureBackbone":
            yield node
        for value in node.values():
            yield from _feature_backbones(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _feature_backbones(value)


def load_task_config(
    path: str | Path, data_root: str | Path | None = None, feature_cache: str | Path | None = None
) -> Config:
    """Load a config from ``configs/tasks`` for a dataset root and a feature-cache folder.

    The configs read both from ``$VNVC_TASK_DATA`` / ``$VNVC_FEATURE_CACHE``; given here, they take precedence.
    Every ``FeatureBackbone`` takes its input channels from the cache, so one config serves codecs of any C.
    """
    values = {}
    if data_root is not None:
        values[DATA_ENV] = f"{Path(data_root)}/"
    if feature_cache is not None:
        values[CACHE_ENV] = str(feature_cache)
    with _environment(values):
        cfg = Config.fromfile(str(path))
    backbones = list(_feature_backbones(cfg.model))
    if backbones and feature_cache is not None:
        channels = read_meta(feature_cache)["feature_channels"]
        for backbone in backbones:
            backbone["in_channels"] = channels
    return cfg
