# ByteTrack over Faster R-CNN on frames at the tests' size (ResNet-18 at 1/8 width, 16-channel FPN).
_base_ = ['../tracking_pixel.py', '../_base_/sizes.py']

model = dict(detector=_base_.tiny_rcnn)
