# Round 21 try of `small`: the cascade of round 19 (configs/train/small_cascade_round19c.py) over seven P-frames in a
# row, as many as the held-out evaluation codes after each I-frame (intra period 8), from round 20; 100 steps.
_base_ = ["small_cascade_round19c.py"]
init_from = "checkpoints/small.pth"  # round 20 (id 16998e512dcbed7a)
grow = []
data = dict(seed=2213)
stages = [
    dict(stage="cascade", steps=100, lr=5e-5, frames=8, rate_weight=10.0, intra_feature=True),
]
