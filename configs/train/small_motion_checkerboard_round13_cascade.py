# Round 13 of `small`, second part: 150 cascade steps (two P-frames in a row, every inter network) on top of
# configs/train/small_motion_checkerboard_round13.py, so that the motion encoder and the networks after it adapt to
# the checkerboard-coded motion. Learning rate and rate weight as in round 12's cascade.
codec = "small"
init_from = "runs/small_motion_checkerboard_round13/last.pth"
aux_lr = 1e-2
data = dict(height=256, width=256, seed=2055)
batch_size = 2
stages = [
    dict(stage="cascade", steps=150, lr=5e-5, frames=3, rate_weight=5.0),
]
log_interval = 10
checkpoint_interval = 50
