# `small` with a learned part on the odd motion anchors' diagonal context (round 26's try, not shipped).
_base_ = ["small.py"]
model = dict(motion_anchor_learned=True)
