# RetinaNet on decoded features at the tests' size: a new head is a new config.
_base_ = ['../detection_feature_retinanet.py', '../_base_/sizes.py']

model = _base_.tiny_retina
