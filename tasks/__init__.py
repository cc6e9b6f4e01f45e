"""MMDetection integration: machine-vision heads on decoded features F̂t.

Importing this package registers ``FeatureBackbone`` (mmdet MODELS), ``LoadDecodedFeature`` (mmdet TRANSFORMS) and
``VideoTrackDataset`` (mmdet DATASETS); task configs do it through ``custom_imports = dict(imports=['tasks'])``.
"""

from .backbones import FeatureBackbone
from .config import load_task_config
from .datasets import VideoTrackDataset
from .transforms import LoadDecodedFeature

__all__ = ["FeatureBackbone", "LoadDecodedFeature", "VideoTrackDataset", "load_task_config"]
