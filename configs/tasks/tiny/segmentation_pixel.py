# Mask R-CNN on frames at the tests' size (ResNet-18 at 1/8 width, 16-channel FPN).
_base_ = ['../segmentation_pixel.py', '../_base_/sizes.py']

model = _base_.tiny_rcnn
model.roi_head.update(_base_.tiny_mask)
