# RetinaNet on decoded features at the shipped heads' size: a new head is a new config.
_base_ = ['../detection_feature_retinanet.py', '../_base_/sizes.py']

model = _base_.small_retina
