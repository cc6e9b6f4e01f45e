# ByteTrack over Faster R-CNN on frames at the shipped heads' size (ResNet-18 at half width, 64-channel FPN).
_base_ = ['../tracking_pixel.py', '../_base_/sizes.py']

model = dict(detector=_base_.small_rcnn)
