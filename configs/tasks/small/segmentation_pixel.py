# Mask R-CNN on frames at the shipped heads' size (ResNet-18 at half width, 64-channel FPN).
_base_ = ['../segmentation_pixel.py', '../_base_/sizes.py']

model = _base_.small_rcnn
model.roi_head.update(_base_.small_mask)
