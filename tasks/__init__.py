"""MMDetection integration: machine-vision heads on decoded features F̂t.

Importing this package registers ``FeatureBackbone`` (mmdet MODELS) and ``LoadDecodedFeature`` (mmdet TRANSFORMS);
task configs do it through ``custom_imports = dict(imports=['tasks'])``.
"""

from .backbones import FeatureBackbone
from .transforms import LoadDecodedFeature

__all__ = ["FeatureBackbone", "LoadDecodedFeature"]
