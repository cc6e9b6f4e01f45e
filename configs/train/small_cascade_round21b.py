# Round 21 try, second: configs/train/small_cascade_round21.py (seven P-frames in a row) with the rate weighed 14x,
# so that the points stay where round 20 put them instead of moving up the curve.
_base_ = ["small_cascade_round21.py"]
stages = [
    dict(stage="cascade", steps=100, lr=5e-5, frames=8, rate_weight=14.0, intra_feature=True),
]
