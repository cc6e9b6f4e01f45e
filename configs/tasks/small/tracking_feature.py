# ByteTrack over Faster R-CNN on decoded features at the shipped heads' size (ResNet-18 at half width, 64-channel FPN).
_base_ = ['../tracking_feature.py', '../_base_/sizes.py']

model = dict(detector=_base_.small_rcnn)
