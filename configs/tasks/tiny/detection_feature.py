# Faster R-CNN on decoded features at the tests' size (ResNet-18 at 1/8 width, 16-channel FPN).
_base_ = ['../detection_feature.py', '../_base_/sizes.py']

model = _base_.tiny_rcnn
